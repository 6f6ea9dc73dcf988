// Volunteer activities for residents: find them (community, date, kind), sign up or join the
// waitlist, check in and out with the organiser's rotating code, and the service record.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  Activities, Activity, CancelSignUp, CheckIn, CheckOut, SignUpForActivity,
} from '../operations/volunteering.js';
import { ServiceRecord as ServiceRecordDocument } from '../operations/wallet.js';
import { currentSession } from '../session.js';
import { CertificateRequest } from './certificate.js';
import { navigate, useLocation } from '../router.js';
import { formatMinutes, formatRange, formatPoints, upcomingDays } from '../format.js';
import { canScan, Scanner } from '../scan.js';
import {
  Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** @param {string} day `YYYY-MM-DD` → that day in China Standard Time, as [from, until) */
function dayRange(day) {
  const from = new Date(`${day}T00:00:00+08:00`);
  return { from: from.toISOString(), until: new Date(from.getTime() + 86_400_000).toISOString() };
}

/** @param {{ participation: any }} props */
function ParticipationStatus({ participation }) {
  if (!participation || participation.status === 'CANCELLED') return null;
  if (participation.status === 'WAITLISTED') {
    return html`<p class="tag waitlist">候补第 ${participation.waitlistPosition} 位</p>`;
  }
  if (participation.verifiedAt) return html`<p class="tag ok">已核验 · ${formatPoints(participation.pointsAwarded ?? 0)}</p>`;
  if (participation.checkedOutAt) return html`<p class="tag ok">已签退，等待核验</p>`;
  if (participation.checkedInAt) return html`<p class="tag ok">已签到</p>`;
  return html`<p class="tag ok">已报名</p>`;
}

export function ActivityList() {
  const { query } = useLocation();
  const filter = {
    communityId: query.get('community') || null,
    categoryId: query.get('kind') || null,
    ...(query.get('day') ? dayRange(/** @type {string} */ (query.get('day'))) : {}),
  };
  const chosen = ['community', 'kind', 'day'].filter((name) => query.get(name)).length;
  const list = useQuery(Activities, { filter, signedIn: !!currentSession() }, [location.search]);
  const data = list.data;
  /** @param {string} name @returns {(value: string) => void} */
  const setFilter = (name) => (value) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(name, value); else next.delete(name);
    navigate(`/activities${next.toString() ? `?${next}` : ''}`, { replace: true });
  };
  const communities = [['', '全部社区'], ...(data?.communities.edges || []).map((/** @type {any} */ e) => [e.node.id, e.node.name])];
  const kinds = [['', '全部类别'], ...(data?.categories || []).map((/** @type {any} */ c) => [c.id, c.nameZh])];
  return html`<${Page} title="志愿活动">
    <details class="filter-box" open=${chosen > 0}>
      <summary>按社区、类别、日期筛选${chosen > 0 ? `（已选 ${chosen} 项）` : ''}</summary>
      <form class="filters" onSubmit=${prevent} aria-label="筛选活动">
        <${Field} label="社区" name="community" value=${query.get('community') || ''} onInput=${setFilter('community')} options=${communities} />
        <${Field} label="类别" name="kind" value=${query.get('kind') || ''} onInput=${setFilter('kind')} options=${kinds} />
        <${Field} label="日期" name="day" value=${query.get('day') || ''} onInput=${setFilter('day')}
          options=${[['', '全部日期'], ...upcomingDays(14)]} />
      </form>
    </details>
    <${QueryState} query=${list} lines=${5} />
    ${data && html`<p class="muted" role="status">共 ${data.activities.totalCount} 个活动</p>`}
    <ul class="cards">
      ${(data?.activities.edges || []).map((/** @type {any} */ { node }) => html`<li class="card" key=${node.id}>
        <h2><a href=${`/activities/${node.id}`}>${node.title}</a></h2>
        <p>${formatRange(node.startsAt, node.endsAt)}</p>
        <p class="muted">${node.place}${node.community ? ` · ${node.community.name}` : ''} · ${node.organisation.name}</p>
        <p>每小时 ${formatPoints(node.pointsPerHour)} · ${node.seatsLeft > 0 ? `剩余 ${node.seatsLeft} 个名额` : '名额已满，可候补'}</p>
        <${ParticipationStatus} participation=${node.myParticipation} />
      </li>`)}
    </ul>
  <//>`;
}

/** @param {{ activityId: string, participation: any, onChange: (p: any) => void }} props */
function CheckInOut({ activityId, participation, onChange }) {
  const checkingOut = !!participation.checkedInAt;
  const [form, set, setForm] = useForm({ code: '' });
  const [scanning, setScanning] = useState(false);
  const { run, busy, errors } = useMutation();
  const submit = async (/** @type {Event | null} */ event, /** @type {string} */ typed = form.code) => {
    if (event) prevent(event);
    // A scanner's whole text (`linli:checkin:CODE`) is sent as it is: the API reads it.
    const code = typed.trim();
    const payload = checkingOut
      ? await run(CheckOut, { input: { activityId, code } }, 'checkOut')
      : await run(CheckIn, { input: { activityId, code } }, 'checkIn');
    if (payload?.participation) { setForm({ code: '' }); onChange(payload.participation); }
  };
  return html`<section class="card" aria-labelledby="check-title">
    <h2 id="check-title">${checkingOut ? '签退' : '签到'}</h2>
    <form onSubmit=${submit} novalidate>
      <${Field} label="现场屏幕上的 6 位数字" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength=${40}
        value=${form.code} onInput=${set('code')} error=${errors.code} hint="数字每分钟更换，请输入屏幕上当前的号码。" required />
      <${FormError} errors=${errors} fields=${['code']} />
      <div class="actions">
        <${Submit} busy=${busy}>${checkingOut ? '确认签退' : '确认签到'}<//>
        ${canScan && !scanning && html`<button type="button" class="button secondary" onClick=${() => setScanning(true)}>扫码${checkingOut ? '签退' : '签到'}</button>`}
      </div>
    </form>
    ${scanning && html`<${Scanner} onClose=${() => setScanning(false)}
      onText=${(/** @type {string} */ text) => { setScanning(false); submit(null, text); }} />`}
  </section>`;
}

/** @param {{ id: string }} props */
export function ActivityDetail({ id }) {
  const activity = useQuery(Activity, { id, signedIn: !!currentSession() }, [id]);
  const [participation, setParticipation] = useState(/** @type {any} */ (undefined));
  const { run, busy, errors } = useMutation();
  const node = activity.data?.node;
  const mine = participation === undefined ? node?.myParticipation : participation;
  const active = mine && mine.status !== 'CANCELLED';
  const signUp = async () => {
    if (!currentSession()) { navigate(`/signin?next=${encodeURIComponent(`/activities/${id}`)}`); return; }
    const payload = await run(SignUpForActivity, { input: { activityId: id } }, 'signUpForActivity');
    if (payload?.participation) setParticipation(payload.participation);
  };
  const cancel = async () => {
    const payload = await run(CancelSignUp, { input: { activityId: id } }, 'cancelSignUp');
    if (payload?.participation) setParticipation(payload.participation);
  };
  return html`<${Page} title=${node?.title || '活动'} back="/activities" backLabel="全部活动">
    <${QueryState} query=${activity} lines=${5} />
    ${activity.data && !node && html`<p class="error-box" role="alert">没有找到这个活动。</p>`}
    ${node && html`
      <section class="card">
        <p><strong>时间：</strong>${formatRange(node.startsAt, node.endsAt)}</p>
        <p><strong>地点：</strong>${node.place}${node.community ? `（${node.community.name}）` : ''}</p>
        <p><strong>主办：</strong>${node.organisation.name}</p>
        <p><strong>积分：</strong>每小时 ${formatPoints(node.pointsPerHour)}，最多 ${formatPoints(node.pointsCap)}</p>
        <p><strong>名额：</strong>共 ${node.capacity} 个，剩余 ${node.seatsLeft} 个</p>
        <p class="description">${node.description}</p>
      </section>
      <div aria-live="polite">
        <${ParticipationStatus} participation=${mine} />
        ${mine?.status === 'WAITLISTED' && html`<p class="hint">有人取消时，排在第 1 位的候补会自动获得名额，届时这里会显示“已报名”。</p>`}
      </div>
      <${FormError} errors=${errors} />
      ${!active && html`<button type="button" class="button primary" onClick=${signUp} disabled=${busy}>
        ${node.seatsLeft > 0 ? '我要报名' : '加入候补'}</button>`}
      ${active && !mine.checkedInAt && html`<button type="button" class="button secondary" onClick=${cancel} disabled=${busy}>取消报名</button>`}
      ${mine?.status === 'REGISTERED' && !mine.checkedOutAt && html`<${CheckInOut} activityId=${id} participation=${mine} onChange=${setParticipation} />`}
      ${mine?.checkedOutAt && !mine.verifiedAt && html`<${Notice}><p>签退成功！主办方核验后，积分会到你的钱包。</p><//>`}
    `}
  <//>`;
}

export function ServiceRecord() {
  const record = useQuery(ServiceRecordDocument);
  const service = record.data?.me.serviceRecord;
  return html`<${Page} title="志愿服务记录" back="/me" backLabel="我的">
    <${QueryState} query=${record} lines=${3} />
    ${service && html`<section class="card">
      <p class="balance-value">${service.totalHours.toFixed(1)} 小时</p>
      <p>已核验的服务共 ${formatMinutes(service.totalMinutes)}，参加了 ${service.activities} 个活动。服务时长永久保存，不会因积分过期而减少。</p>
      <h2>按类别</h2>
      <ul class="plain">${service.byCategory.map((/** @type {any} */ c) => html`<li key=${c.category.id}>${c.category.nameZh}：${formatMinutes(c.minutes)}</li>`)}</ul>
      <h2>按组织</h2>
      <ul class="plain">${service.byOrganisation.map((/** @type {any} */ o) => html`<li key=${o.organisation.id}>${o.organisation.name}：${formatMinutes(o.minutes)}</li>`)}</ul>
    </section>`}
    ${service && service.totalMinutes > 0 && html`<${CertificateRequest} organisations=${service.byOrganisation} />`}
  <//>`;
}
