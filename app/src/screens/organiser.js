// Organisers (members of a partner organisation): products (create, edit, submit, review
// notes), activities (create, publish), the check-in screen with the rotating code, the
// attendance sheet with bulk verification, and the points budget.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { CreateProduct, OrganisationProducts as ProductsDocument, SubmitProduct, UpdateProduct } from '../operations/catalogue.js';
import {
  AttendanceSheet as SheetDocument, CheckInCode, CreateActivity, OrganisationActivities as ActivitiesDocument,
  PublishActivity, VerifyActivityAttendance, VerifyAttendance,
} from '../operations/volunteering.js';
import { NeedForm } from '../operations/community.js';
import { OrganisationBudget } from '../operations/community.js';
import { request } from '../api.js';
import { navigate } from '../router.js';
import {
  formatChange, formatDateTime, formatMinutes, formatPoints, formatRange, formatTime, fromLocalInput,
  PRICE_TIERS, PRODUCT_STATUS, toLocalInput, TRANSFER_LABELS,
} from '../format.js';
import { Qr } from '../qr.js';
import {
  ErrorMessage, Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** @param {{ org: string }} props */
export function OrganisationHome({ org }) {
  return html`<${Page} title="组织管理" back="/me" backLabel="我的">
    <nav class="card" aria-label="组织管理">
      <ul class="menu">
        <li><a href=${`/org/${org}/products`}>社创产品</a></li>
        <li><a href=${`/org/${org}/activities`}>志愿活动、签到与核验</a></li>
        <li><a href=${`/org/${org}/bookings`}>服务预约</a></li>
        <li><a href=${`/org/${org}/budget`}>积分预算</a></li>
      </ul>
    </nav>
  <//>`;
}

/** What an activity's status means to its organiser. */
const ACTIVITY_STATUS = /** @type {Record<string, string>} */ ({ DRAFT: '草稿，未发布', PUBLISHED: '已发布', COMPLETED: '已结束', CANCELLED: '已取消' });

const PRODUCT_LISTS = [['drafts', '草稿'], ['rejected', '已退回，请修改'], ['inReview', '审核中'], ['published', '已发布']];

/** @param {{ org: string }} props */
export function OrganisationProducts({ org }) {
  const products = useQuery(ProductsDocument, { id: org }, [org]);
  const { run, busy, errors } = useMutation();
  const [submitted, setSubmitted] = useState(/** @type {string | null} */ (null));
  const node = products.data?.node;
  const submit = async (/** @type {any} */ product) => {
    if (await run(SubmitProduct, { input: { productId: product.id } }, 'submitProduct')) {
      setSubmitted(product.title);
      products.reload();
    }
  };
  return html`<${Page} title="社创产品" back=${`/org/${org}`} backLabel="组织管理">
    <p><a class="button primary" href=${`/org/${org}/products/new`}>新建产品</a></p>
    ${submitted && html`<${Notice}><p>“${submitted}”已提交审核，社创中心审核后会通知你。</p><//>`}
    <${FormError} errors=${errors} />
    <${QueryState} query=${products} lines=${4} />
    ${node && PRODUCT_LISTS.map(([key, title]) => node[key].edges.length > 0 && html`<section key=${key} aria-labelledby=${`list-${key}`}>
      <h2 id=${`list-${key}`}>${title}（${node[key].edges.length}）</h2>
      <ul class="cards">${node[key].edges.map((/** @type {any} */ { node: p }) => html`<li class="card" key=${p.id}>
        <h3>${p.title}</h3>
        <p class="muted">${p.category.nameZh} · ${PRICE_TIERS[/** @type {keyof typeof PRICE_TIERS} */ (p.priceTier)]} · ${PRODUCT_STATUS[/** @type {keyof typeof PRODUCT_STATUS} */ (p.status)]}</p>
        ${p.statusReason && html`<p class="review-note"><strong>审核意见：</strong>${p.statusReason}</p>`}
        ${(p.status === 'DRAFT' || p.status === 'REJECTED') && html`<div class="actions">
          <a class="button secondary" href=${`/org/${org}/products/${p.id}`} aria-label=${`修改 ${p.title}`}>修改</a>
          <button type="button" class="button primary" onClick=${() => submit(p)} disabled=${busy} aria-label=${`提交审核 ${p.title}`}>提交审核</button>
        </div>`}
      </li>`)}</ul>
    </section>`)}
  <//>`;
}

/** @param {{ org: string, id?: string }} props */
export function ProductEditor({ org, id }) {
  const products = useQuery(ProductsDocument, { id: org }, [org]);
  const [form, set, setForm] = useForm({ title: '', summary: '', description: '', categoryId: '', priceTier: 'FREE', priceYuan: '', marketPriceYuan: '', pricePoints: '' });
  const { run, busy, errors } = useMutation();
  const node = products.data?.node;
  const existing = id && node ? [...node.drafts.edges, ...node.rejected.edges].map((/** @type {any} */ e) => e.node).find((/** @type {any} */ p) => p.id === id) : null;
  useEffect(() => {
    if (existing) {
      setForm({
        title: existing.title, summary: existing.summary, description: existing.description, categoryId: existing.category.id,
        priceTier: existing.priceTier, priceYuan: existing.priceYuan || '', marketPriceYuan: existing.marketPriceYuan || '', pricePoints: existing.pricePoints == null ? '' : String(existing.pricePoints),
      });
    }
  }, [existing?.id]);
  const save = async (/** @type {Event} */ event) => {
    prevent(event);
    const product = {
      title: form.title, summary: form.summary, description: form.description, categoryId: form.categoryId, priceTier: form.priceTier,
      priceYuan: form.priceYuan || null,
      marketPriceYuan: form.priceTier === 'LOW_COST' ? form.marketPriceYuan || null : null, pricePoints: form.pricePoints ? Number.parseInt(form.pricePoints, 10) : null,
    };
    const payload = id
      ? await run(UpdateProduct, { input: { productId: id, product } }, 'updateProduct')
      : await run(CreateProduct, { input: { organisationId: org, product } }, 'createProduct');
    if (payload?.product) navigate(`/org/${org}/products`);
  };
  /** @type {Array<[string, string]>} */
  const categories = [['', '请选择']];
  for (const c of products.data?.categories || []) {
    categories.push([c.id, c.nameZh]);
    for (const child of c.children) categories.push([child.id, `　${child.nameZh}`]);
  }
  return html`<${Page} title=${id ? '修改产品' : '新建产品'} back=${`/org/${org}/products`} backLabel="社创产品">
    <${QueryState} query=${products} lines=${4} />
    ${existing?.statusReason && html`<p class="review-note"><strong>审核意见：</strong>${existing.statusReason}</p>`}
    ${(!id || existing) && products.data && html`<form onSubmit=${save} novalidate>
      <${Field} label="产品名称" name="title" value=${form.title} onInput=${set('title')} error=${errors.title} required />
      <${Field} label="一句话简介" name="summary" value=${form.summary} onInput=${set('summary')} error=${errors.summary} required />
      <${Field} label="详细介绍" name="description" multiline value=${form.description} onInput=${set('description')} error=${errors.description} required />
      <${Field} label="类别" name="categoryId" value=${form.categoryId} onInput=${set('categoryId')} options=${categories} error=${errors.categoryId} required />
      <${Field} label="价格类型" name="priceTier" value=${form.priceTier} onInput=${set('priceTier')}
        options=${[['FREE', '公益（免费）'], ['LOW_COST', '低偿'], ['MARKET', '市场价']]} error=${errors.priceTier} />
      ${form.priceTier !== 'FREE' && html`<${Field} label="价格（元）" name="priceYuan" inputmode="decimal" value=${form.priceYuan}
        onInput=${set('priceYuan')} hint="例如 25 或 25.50" error=${errors.priceYuan} />`}
      ${form.priceTier === 'LOW_COST' && html`<${Field} label="市场价（元）" name="marketPriceYuan" inputmode="decimal" value=${form.marketPriceYuan}
        onInput=${set('marketPriceYuan')} hint="同类服务的市场价格，低偿价须低于它" error=${errors.marketPriceYuan} />`}
      <${Field} label="可用积分支付（积分数，可不填）" name="pricePoints" type="number" inputmode="numeric" value=${form.pricePoints}
        onInput=${set('pricePoints')} error=${errors.pricePoints} />
      <${FormError} errors=${errors} fields=${['title', 'summary', 'description', 'categoryId', 'priceTier', 'priceYuan', 'marketPriceYuan', 'pricePoints']} />
      <${Submit} busy=${busy}>保存草稿<//>
    </form>`}
    ${id && products.data && !existing && html`<p class="error-box" role="alert">只有草稿和被退回的产品可以修改。</p>`}
  <//>`;
}

/** @param {{ org: string }} props */
export function OrganisationActivities({ org }) {
  const list = useQuery(ActivitiesDocument, { org }, [org]);
  const publish = useMutation();
  const publishDraft = async (/** @type {any} */ draft) => {
    if (await publish.run(PublishActivity, { input: { activityId: draft.id } }, 'publishActivity')) list.reload();
  };
  return html`<${Page} title="志愿活动" back=${`/org/${org}`} backLabel="组织管理">
    <p><a class="button primary" href=${`/org/${org}/activities/new`}>新建活动</a></p>
    <${QueryState} query=${list} lines=${4} />
    <${ErrorMessage} error=${publish.errors._form} />
    <ul class="cards">${(list.data?.node?.activities.edges || []).map((/** @type {any} */ { node }) => html`<li class="card" key=${node.id}>
      <h2>${node.title}</h2>
      <p>${formatRange(node.startsAt, node.endsAt)} · ${node.place}</p>
      <p class="muted">${ACTIVITY_STATUS[node.status] || node.status} · 名额 ${node.capacity}，剩余 ${node.seatsLeft}</p>
      <div class="actions">
        ${node.status === 'DRAFT' && html`<button type="button" class="button primary" onClick=${() => publishDraft(node)} disabled=${publish.busy}
          aria-label=${`发布：${node.title}`}>发布</button>`}
        ${node.status === 'PUBLISHED' && html`<a class="button primary" href=${`/org/${org}/activities/${node.id}/check-in`} aria-label=${`签到屏幕：${node.title}`}>签到屏幕</a>`}
        ${node.status !== 'DRAFT' && html`<a class="button secondary" href=${`/org/${org}/activities/${node.id}/attendance`} aria-label=${`签到表与核验：${node.title}`}>签到表与核验</a>`}
      </div>
    </li>`)}</ul>
  <//>`;
}

/** @param {{ org: string }} props */
export function ActivityEditor({ org }) {
  const options = useQuery(NeedForm);
  const tomorrow = new Date(Date.now() + 86_400_000);
  const [form, set] = useForm({
    title: '', description: '', place: '', categoryId: '', communityId: '', capacity: '20', pointsPerHour: '10', pointsCap: '30',
    startsAt: toLocalInput(tomorrow), endsAt: toLocalInput(new Date(tomorrow.getTime() + 2 * 3600_000)),
  });
  const { run, busy, errors } = useMutation();
  const [draft, setDraft] = useState(/** @type {any} */ (null));
  const [published, setPublished] = useState(false);
  const int = (/** @type {string} */ v) => Number.parseInt(v, 10) || 0;
  const save = async (/** @type {Event} */ event) => {
    prevent(event);
    const input = {
      organisationId: org, title: form.title, description: form.description, place: form.place, categoryId: form.categoryId,
      communityId: form.communityId || null, startsAt: fromLocalInput(form.startsAt), endsAt: fromLocalInput(form.endsAt),
      capacity: int(form.capacity), pointsPerHour: int(form.pointsPerHour), pointsCap: int(form.pointsCap),
    };
    const payload = await run(CreateActivity, { input }, 'createActivity');
    if (payload?.activity) setDraft(payload.activity);
  };
  const publish = async () => {
    if (await run(PublishActivity, { input: { activityId: draft.id } }, 'publishActivity')) setPublished(true);
  };
  const communities = [['', '不限社区'], ...(options.data?.communities.edges || []).map((/** @type {any} */ e) => [e.node.id, e.node.name])];
  const categories = [['', '请选择'], ...(options.data?.categories || []).map((/** @type {any} */ c) => [c.id, c.nameZh])];
  if (draft) {
    return html`<${Page} title=${published ? '活动已发布' : '活动草稿已保存'} back=${`/org/${org}/activities`} backLabel="志愿活动">
      <section class="card"><h2>${draft.title}</h2><p>${formatRange(draft.startsAt, draft.endsAt)} · ${draft.place}</p></section>
      <${FormError} errors=${errors} />
      ${published
        ? html`<${Notice}><p>居民现在可以报名了。</p><//>`
        : html`<button type="button" class="button primary" onClick=${publish} disabled=${busy}>发布，开放报名</button>`}
    <//>`;
  }
  return html`<${Page} title="新建活动" back=${`/org/${org}/activities`} backLabel="志愿活动">
    <form onSubmit=${save} novalidate>
      <${Field} label="活动名称" name="title" value=${form.title} onInput=${set('title')} error=${errors.title} required />
      <${Field} label="活动介绍" name="description" multiline value=${form.description} onInput=${set('description')} error=${errors.description} required />
      <${Field} label="地点" name="place" value=${form.place} onInput=${set('place')} error=${errors.place} required />
      <${Field} label="类别" name="categoryId" value=${form.categoryId} onInput=${set('categoryId')} options=${categories} error=${errors.categoryId} required />
      <${Field} label="社区" name="communityId" value=${form.communityId} onInput=${set('communityId')} options=${communities} error=${errors.communityId} />
      <${Field} label="开始时间（北京时间）" name="startsAt" type="datetime-local" value=${form.startsAt} onInput=${set('startsAt')} error=${errors.startsAt} required />
      <${Field} label="结束时间（北京时间）" name="endsAt" type="datetime-local" value=${form.endsAt} onInput=${set('endsAt')} error=${errors.endsAt} required />
      <${Field} label="名额" name="capacity" type="number" inputmode="numeric" value=${form.capacity} onInput=${set('capacity')} error=${errors.capacity} required />
      <${Field} label="每小时积分" name="pointsPerHour" type="number" inputmode="numeric" value=${form.pointsPerHour} onInput=${set('pointsPerHour')} error=${errors.pointsPerHour} required />
      <${Field} label="每人最多积分" name="pointsCap" type="number" inputmode="numeric" value=${form.pointsCap} onInput=${set('pointsCap')} error=${errors.pointsCap} required />
      <${FormError} errors=${errors} fields=${['title', 'description', 'place', 'categoryId', 'communityId', 'startsAt', 'endsAt', 'capacity', 'pointsPerHour', 'pointsCap']} />
      <${Submit} busy=${busy}>保存草稿<//>
    </form>
  <//>`;
}

/**
 * The screen at the activity's door: the current code as large digits and a QR, read again
 * the moment it changes (every minute), so it runs on its own all through the activity.
 * @param {{ org: string, id: string }} props
 */
export function CheckInScreen({ org, id }) {
  const [state, setState] = useState(/** @type {{ node?: any, error?: any }} */ ({}));
  useEffect(() => {
    let live = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const load = async () => {
      let wait = 5000;
      try {
        const data = await request(CheckInCode, { id });
        if (!live) return;
        setState({ node: data.node });
        // A moment after the change, so the server surely has the new code; and at least
        // once a minute, whatever this device's clock says.
        if (data.node) wait = Math.min(60_000, Math.max(1000, Date.parse(data.node.checkInCode.changesAt) - Date.now() + 500));
      } catch (error) {
        if (live) setState((s) => ({ ...s, error }));
      }
      if (live) timer = setTimeout(load, wait);
    };
    load();
    return () => { live = false; clearTimeout(timer); };
  }, [id]);
  const node = state.node;
  const code = node?.checkInCode.code;
  return html`<${Page} title=${node ? `签到：${node.title}` : '签到屏幕'} back=${`/org/${org}/activities`} backLabel="志愿活动">
    <${ErrorMessage} error=${state.error} />
    ${!node && !state.error && html`<${QueryState} query=${{ loading: true, slow: true, error: null, data: null, reload: () => {} }} lines=${3} />`}
    ${code && html`<section class="check-in-screen">
      <p>请用邻里扫码，或在活动页输入下面的数字签到、签退。</p>
      <${Qr} svg=${node.checkInCode.qrSvg} label=${`签到码 ${code} 的二维码`} />
      <p class="check-in-code" data-testid="check-in-code" aria-live="polite" aria-label=${`签到码 ${code.split('').join(' ')}`}>${code}</p>
      <p class="muted">每分钟自动更换 · 下次更换 ${formatTime(node.checkInCode.changesAt)}</p>
    </section>`}
  <//>`;
}

/** @param {{ org: string, id: string }} props */
export function AttendanceSheet({ org, id }) {
  const [after, setAfter] = useState(/** @type {string | null} */ (null));
  const [earlier, setEarlier] = useState(/** @type {any[]} */ ([]));
  const sheet = useQuery(SheetDocument, { id, after }, [id, after]);
  // After a verification the sheet is read again from its first page.
  const refresh = () => (after ? setAfter(null) : sheet.reload());
  const { run, busy, errors } = useMutation();
  const [verified, setVerified] = useState(/** @type {string | null} */ (null));
  const node = sheet.data?.node;
  const verifyAll = async () => {
    const payload = await run(VerifyActivityAttendance, { input: { activityId: id } }, 'verifyActivityAttendance');
    if (payload) {
      const points = payload.verified.reduce((/** @type {number} */ sum, /** @type {any} */ v) => sum + v.points, 0);
      setVerified(payload.verified.length ? `已核验 ${payload.verified.length} 人，共发放 ${formatPoints(points)}。` : '没有需要核验的签退记录。');
      refresh();
    }
  };
  const verifyOne = async (/** @type {any} */ p) => {
    const payload = await run(VerifyAttendance, { input: { participationId: p.id } }, 'verifyAttendance');
    if (payload) { setVerified(`已核验 ${p.displayName}。`); refresh(); }
  };
  const page = node?.attendanceSheet;
  const rows = [...(after ? earlier : []), ...(page?.edges || []).map((/** @type {any} */ e) => e.node)];
  const waiting = rows.filter((/** @type {any} */ p) => p.checkedOutAt && !p.verifiedAt);
  return html`<${Page} title=${node ? `签到表：${node.title}` : '签到表'} back=${`/org/${org}/activities`} backLabel="志愿活动">
    <${QueryState} query=${sheet} lines=${5} />
    ${node && html`
      <section class="card">
        <p>${formatRange(node.startsAt, node.endsAt)} · 每小时 ${formatPoints(node.pointsPerHour)}，每人最多 ${formatPoints(node.pointsCap)}</p>
        <p>组织积分预算：<strong>${formatPoints(node.organisation.budget.balance)}</strong></p>
        <p class="hint">核验规则：不能核验自己的参与记录，须由组织的另一位成员核验；手工补录的时长只计服务时长，不发积分；每条记录只发一次积分。</p>
      </section>
      ${verified && html`<${Notice}><p>${verified}</p><//>`}
      <${FormError} errors=${errors} />
      <button type="button" class="button primary" onClick=${verifyAll} disabled=${busy || waiting.length === 0}>
        核验全部已签退（${waiting.length} 人）</button>
      <table class="sheet">
        <caption class="visually-hidden">签到表</caption>
        <thead><tr><th scope="col">居民</th><th scope="col">签到 / 签退</th><th scope="col">核验</th></tr></thead>
        <tbody>${rows.map((/** @type {any} */ p) => html`<tr key=${p.id}>
          <th scope="row">${p.displayName}${p.status === 'WAITLISTED' ? `（候补 ${p.waitlistPosition}）` : ''}${p.manual ? '（手工补录）' : ''}</th>
          <td>${p.checkedInAt ? formatTime(p.checkedInAt) : '未签到'} / ${p.checkedOutAt ? formatTime(p.checkedOutAt) : '未签退'}</td>
          <td>${p.verifiedAt
            ? `已核验 ${formatMinutes(p.verifiedMinutes ?? 0)}，${formatPoints(p.pointsAwarded ?? 0)}`
            : p.checkedOutAt && html`<button type="button" class="button secondary" onClick=${() => verifyOne(p)} disabled=${busy}
                aria-label=${`核验 ${p.displayName}`}>核验</button>`}</td>
        </tr>`)}</tbody>
      </table>
      ${page?.pageInfo.hasNextPage && html`<button type="button" class="button secondary"
        onClick=${() => { setEarlier(rows); setAfter(page.pageInfo.endCursor); }}>显示更多（共 ${page.totalCount} 人）</button>`}
    `}
  <//>`;
}

/** @param {{ org: string }} props */
export function Budget({ org }) {
  const budget = useQuery(OrganisationBudget, { id: org }, [org]);
  const node = budget.data?.node;
  return html`<${Page} title="积分预算" back=${`/org/${org}`} backLabel="组织管理">
    <${QueryState} query=${budget} lines=${4} />
    ${node && html`
      <section class="card balance">
        <h2 class="balance-label">${node.name}</h2>
        <p class="balance-value">${formatPoints(node.budget.balance)}</p>
        <p class="hint">预算由社创中心拨付，核验志愿服务时从这里发放积分。</p>
      </section>
      <section class="card" aria-labelledby="paid-title">
        <h2 id="paid-title">收支明细（共 ${node.budget.history.totalCount} 笔）</h2>
        <ul class="history">${node.budget.history.edges.map((/** @type {any} */ { node: e }) => html`<li class="history-row" key=${e.transfer.id}>
          <div class="history-main">
            <p class="history-title">${e.transfer.reason || TRANSFER_LABELS[/** @type {keyof typeof TRANSFER_LABELS} */ (e.transfer.code)]}</p>
            <p class="muted">${e.direction === 'IN' ? '来自' : '给'} ${e.counterpart.name} · ${formatDateTime(e.transfer.createdAt)}</p>
          </div>
          <p class=${`amount ${e.change > 0 ? 'in' : 'out'}`}>${formatChange(e.change)}</p>
        </li>`)}</ul>
      </section>
    `}
  <//>`;
}
