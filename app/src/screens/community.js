// Residents' self-governance groups (join one) and community needs (post one).
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { Groups as GroupsDocument, NeedForm, PostNeed as PostNeedDocument, RequestToJoinGroup } from '../operations/community.js';
import { idempotencyKey } from '../api.js';
import { currentSession } from '../session.js';
import { navigate } from '../router.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import {
  Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** @param {{ group: any }} props */
function GroupCard({ group }) {
  const { run, busy, errors } = useMutation();
  const [asked, setAsked] = useState(false);
  const join = async () => {
    if (!currentSession()) { navigate('/signin?next=/groups'); return; }
    if (await run(RequestToJoinGroup, { input: { groupId: group.id } }, 'requestToJoinGroup')) setAsked(true);
  };
  return html`<li class="card">
    <h2>${group.name}</h2>
    <p>${group.purpose}</p>
    <p class="muted">${group.community.name} · ${group.stageLabel}</p>
    <${FormError} errors=${errors} />
    ${asked
      ? html`<p class="tag ok" role="status">已申请加入，等待召集人同意</p>`
      : group.stage !== 'DISSOLVED' && html`<button type="button" class="button secondary" onClick=${join} disabled=${busy}
          aria-label=${`申请加入 ${group.name}`}>申请加入</button>`}
  </li>`;
}

export function Groups() {
  const [after, setAfter] = useState(/** @type {string | null} */ (null));
  const [earlier, setEarlier] = useState(/** @type {any[]} */ ([]));
  const groups = useQuery(GroupsDocument, { after }, [after]);
  const page = groups.data?.groups;
  const list = [...(after ? earlier : []), ...(page?.edges || []).map((/** @type {any} */ e) => e.node)];
  return html`<${Page} title="居民自治组织" back="/catalogue" backLabel="返回发现">
    <p class="lead">邻居们自己组织的队伍：遛弯、助老、议事……找一个加入吧。</p>
    <${QueryState} query=${groups} lines=${5} />
    ${page && html`<p class="muted" role="status">共 ${page.totalCount} 个组织</p>`}
    <ul class="cards">${list.map((/** @type {any} */ g) => html`<${GroupCard} key=${g.id} group=${g} />`)}</ul>
    ${page?.pageInfo.hasNextPage && html`<button type="button" class="button secondary"
      onClick=${() => { setEarlier(list); setAfter(page.pageInfo.endCursor); }}>显示更多</button>`}
  <//>`;
}

export function PostNeed() {
  const options = useQuery(NeedForm);
  const inTwoWeeks = toLocalInput(new Date(Date.now() + 14 * 86_400_000));
  const [form, set] = useForm({ communityId: '', categoryId: '', title: '', description: '', urgency: 'MEDIUM', wantedBy: inTwoWeeks });
  const { run, busy, errors } = useMutation();
  const [posted, setPosted] = useState(/** @type {string | null} */ (null));
  // One key for the form: a retry after a lost answer cannot post the need twice.
  const [key] = useState(idempotencyKey);
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const input = { ...form, wantedBy: fromLocalInput(form.wantedBy), idempotencyKey: key };
    const payload = await run(PostNeedDocument, { input }, 'postNeed');
    if (payload?.need) setPosted(payload.need.title);
  };
  const communities = [['', '请选择'], ...(options.data?.communities.edges || []).map((/** @type {any} */ e) => [e.node.id, e.node.name])];
  const categories = [['', '请选择'], ...(options.data?.categories || []).map((/** @type {any} */ c) => [c.id, c.nameZh])];
  return html`<${Page} title="发布社区需求" back="/catalogue" backLabel="返回发现">
    ${posted
      ? html`<${Notice}><p>需求“${posted}”已发布。社创中心会为它寻找合适的服务、组织或自治组织。</p><//>`
      : html`<form onSubmit=${submit} novalidate>
        <${Field} label="社区" name="communityId" value=${form.communityId} onInput=${set('communityId')} options=${communities} error=${errors.communityId} required />
        <${Field} label="类别" name="categoryId" value=${form.categoryId} onInput=${set('categoryId')} options=${categories} error=${errors.categoryId} required />
        <${Field} label="需求标题" name="title" value=${form.title} onInput=${set('title')} error=${errors.title} required />
        <${Field} label="详细说明" name="description" multiline value=${form.description} onInput=${set('description')} error=${errors.description} required />
        <${Field} label="紧急程度" name="urgency" value=${form.urgency} onInput=${set('urgency')}
          options=${[['LOW', '不急'], ['MEDIUM', '一般'], ['HIGH', '紧急']]} error=${errors.urgency} />
        <${Field} label="希望解决的时间（北京时间）" name="wantedBy" type="datetime-local" value=${form.wantedBy} onInput=${set('wantedBy')} error=${errors.wantedBy} required />
        <${FormError} errors=${errors} fields=${['communityId', 'categoryId', 'title', 'description', 'urgency', 'wantedBy']} />
        <${Submit} busy=${busy}>发布需求<//>
      </form>`}
  <//>`;
}
