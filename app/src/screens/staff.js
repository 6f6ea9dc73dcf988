// The incubation centre's console: its frame (a side navigation at a desk, a row of links on
// a phone), the pieces every console screen shares (the audit trail of an object, names for
// the ids the API returns), and the review queues: organisations, products and the movements
// of points a second staff member must approve.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { ProductReviewQueue, ReviewProduct } from '../operations/catalogue.js';
import {
  ApprovalQueue, AuditTrail, DecideApprovalRequest, NodeNames, OrganisationQueue, ReviewOrganisation,
} from '../operations/staff.js';
import { request } from '../api.js';
import { formatChange, formatDateTime, formatYuan, PRICE_TIERS } from '../format.js';
import {
  Field, FormError, Notice, Page, QueryState, useMutation, useQuery,
} from '../ui.js';

/** The console's sections, in the order of a staff member's day. */
export const SECTIONS = [
  { heading: '审核队列', links: [
    ['organisations', '/staff/organisations', '组织认证'],
    ['products', '/staff/products', '社创产品审核'],
    ['merchants', '/staff/merchants', '商家入驻'],
    ['approvals', '/staff/approvals', '积分复核'],
    ['reviews', '/staff/reviews', '异常复核'],
  ] },
  { heading: '资源', links: [
    ['directory', '/staff/directory', '名录'],
    ['budgets', '/staff/budgets', '积分预算'],
    ['settlements', '/staff/settlements', '商家结算'],
  ] },
  { heading: '看板', links: [
    ['dashboard', '/staff/dashboard', '全区概览'],
    ['incubation', '/staff/incubation', '孵化看板'],
    ['matching', '/staff/matching', '需求对接'],
  ] },
];

/**
 * A console screen: the console's navigation beside the page, which is wide at a desk.
 * @param {{ section: string, title: string, children?: any, actions?: any }} props
 */
export function ConsolePage({ section, title, children, actions }) {
  // On a phone the sections are a row wider than the screen: keep the current one in sight.
  useEffect(() => {
    document.querySelector('.console-nav [aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'center' });
  }, [section]);
  return html`<div class="console">
    <nav class="console-nav" aria-label="社创中心工作台">
      <p class="console-name">社创中心工作台</p>
      ${SECTIONS.map((group) => html`<div class="console-group" key=${group.heading}>
        <p class="console-heading">${group.heading}</p>
        <ul>${group.links.map(([name, href, label]) => html`<li key=${name}>
          <a href=${href} aria-current=${section === name ? 'page' : undefined}>${label}</a>
        </li>`)}</ul>
      </div>`)}
    </nav>
    <${Page} title=${title} wide actions=${actions}>${children}<//>
  </div>`;
}

/**
 * The raw id inside a global id. The API's ids are opaque to screens, but the audit trail
 * names its subjects by raw id (`AuditEvent.subjectId`, `auditEvents(subjectId:)`), so the
 * console reads it out of the id to ask for an object's trail.
 * @param {string} id
 */
export function rawId(id) {
  try {
    const text = atob(id.replace(/-/g, '+').replace(/_/g, '/'));
    const colon = text.indexOf(':');
    return colon >= 0 ? text.slice(colon + 1) : id;
  } catch {
    return id;
  }
}

/**
 * Display names for ids (people, organisations, accounts), asked once for the ids shown.
 * @param {Array<string | null | undefined>} ids
 * @returns {Record<string, string>}
 */
export function useNames(ids) {
  const wanted = [...new Set(ids.filter(Boolean))].slice(0, 100);
  const key = wanted.join(',');
  const [names, setNames] = useState(/** @type {Record<string, string>} */ ({}));
  useEffect(() => {
    if (!wanted.length) return undefined;
    let live = true;
    request(NodeNames, { ids: wanted }).then((data) => {
      /** @type {Record<string, string>} */
      const found = {};
      for (const node of data?.nodes || []) {
        if (!node) continue;
        found[node.id] = node.displayName || node.name || node.title || (node.kind ? ACCOUNT_KINDS[/** @type {keyof typeof ACCOUNT_KINDS} */ (node.kind)] : '')
          || (node.amount ? `${node.reason}（${node.amount} 积分）` : node.id);
      }
      if (live) setNames(found);
    }, () => {});
    return () => { live = false; };
  }, [key]);
  return names;
}

export const ACCOUNT_KINDS = {
  ISSUANCE: '发行账户', EXPIRED: '过期账户', WALLET: '居民钱包', HOLD: '兑换冻结',
  BUDGET: '组织预算', MERCHANT: '商家账户', GROUP_FUND: '自治组织基金',
};

const AUDIT_ACTIONS = {
  'organisation.verified': '认证通过', 'organisation.rejected': '认证未通过',
  'organisation.suspended': '暂停', 'organisation.restored': '恢复',
  'merchant.admitted': '准予入驻', 'merchant.rejected': '不予入驻', 'merchant.suspended': '暂停',
  'merchant.restored': '恢复', 'user.suspended': '暂停', 'user.restored': '恢复',
  'ledger.allocate_budget': '拨付预算', 'ledger.adjust': '调整余额', 'ledger.reverse': '冲正',
  'ledger.approval_requested': '提交复核', 'group.mentor': '指定导师', 'group.advanced': '晋级',
  'group.hold': '暂缓', 'group.dissolved': '解散', 'match.propose': '推荐对接',
  'product.retire': '下架', 'community.create': '新建社区',
};

/** What was done to an object, newest first, with who did it. @param {{ id: string, title?: string }} props */
export function AuditHistory({ id, title = '审计记录' }) {
  const trail = useQuery(AuditTrail, { subjectId: rawId(id) }, [id]);
  const events = trail.data?.auditEvents.nodes || [];
  const names = useNames(events.map((/** @type {any} */ e) => e.actorId));
  return html`<section class="audit" aria-label=${title}>
    <h3>${title}</h3>
    <${QueryState} query=${trail} lines=${2} />
    ${trail.data && !events.length && html`<p class="muted">暂无记录。</p>`}
    ${events.length > 0 && html`<ol class="timeline">
      ${events.map((/** @type {any} */ e) => html`<li key=${e.id}>
        <p><strong>${AUDIT_ACTIONS[/** @type {keyof typeof AUDIT_ACTIONS} */ (e.action)] || e.action}</strong>
          <span class="muted"> · ${names[e.actorId] || '系统'} · <time datetime=${e.createdAt}>${formatDateTime(e.createdAt)}</time></span></p>
        ${e.detail && html`<p class="muted detail">${e.detail}</p>`}
      </li>`)}
    </ol>`}
  </section>`;
}

/**
 * A queue at a desk: the waiting items on the left, the one chosen on the right with its
 * details and the decision; on a phone the chosen one opens under the list.
 * @param {{ items: any[], label: string, row: (item: any) => any, detail: (item: any) => any, empty: string }} props
 */
export function Queue({ items, label, row, detail, empty }) {
  const [chosen, setChosen] = useState(/** @type {string | null} */ (null));
  const current = items.find((item) => item.id === chosen) || items[0];
  if (!items.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="split">
    <ul class="queue-list" aria-label=${label}>
      ${items.map((item) => html`<li key=${item.id}>
        <button type="button" class="queue-item" aria-pressed=${item === current ? 'true' : 'false'}
          onClick=${() => setChosen(item.id)}>${row(item)}</button>
      </li>`)}
    </ul>
    <div class="queue-detail card" key=${current.id}>${detail(current)}</div>
  </div>`;
}

const ORGANISATION_KINDS = {
  SOCIAL_ORGANISATION: '社会组织', ENTERPRISE: '企业', PUBLIC_INSTITUTION: '事业单位', FOUNDATION: '基金会', OTHER: '其他',
};
const MEMBER_ROLES = { OWNER: '负责人', MANAGER: '管理员', MEMBER: '成员' };

/** @param {{ organisation: any, onDone: (message: string) => void }} props */
function OrganisationReview({ organisation, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const decide = async (/** @type {'VERIFY' | 'REJECT'} */ decision) => {
    const input = { organisationId: organisation.id, decision, reason: reason || null };
    if (await run(ReviewOrganisation, { input }, 'reviewOrganisation')) {
      onDone(decision === 'VERIFY' ? `“${organisation.name}”已通过认证。` : `“${organisation.name}”未通过认证，已告知理由。`);
    }
  };
  return html`
    <h2>${organisation.name}</h2>
    <dl class="facts">
      <dt>类型</dt><dd>${ORGANISATION_KINDS[/** @type {keyof typeof ORGANISATION_KINDS} */ (organisation.kind)]}</dd>
      <dt>所在社区</dt><dd>${organisation.community?.name || '未填写'}</dd>
      <dt>联系方式</dt><dd>${organisation.contact}</dd>
      <dt>申请时间</dt><dd><time datetime=${organisation.createdAt}>${formatDateTime(organisation.createdAt)}</time></dd>
      <dt>成员</dt><dd>${organisation.members.nodes.map((/** @type {any} */ m) => `${m.displayName}（${MEMBER_ROLES[/** @type {keyof typeof MEMBER_ROLES} */ (m.role)]}）`).join('、')}</dd>
    </dl>
    <p class="description">${organisation.description}</p>
    <${AuditHistory} id=${organisation.id} />
    <${Field} label="理由（不通过时必填，组织会看到）" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} multiline />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button primary" disabled=${busy} onClick=${() => decide('VERIFY')}
        aria-label=${`通过认证 ${organisation.name}`}>通过认证</button>
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => decide('REJECT')}
        aria-label=${`不通过 ${organisation.name}`}>不通过</button>
    </div>`;
}

export function OrganisationQueueScreen() {
  const queue = useQuery(OrganisationQueue);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.organisationReviewQueue.nodes || [];
  return html`<${ConsolePage} section="organisations" title="组织认证">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待认证 ${queue.data.organisationReviewQueue.totalCount} 家，最早申请的在前</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待认证的组织" empty="没有待认证的组织。"
      row=${(/** @type {any} */ o) => html`<span class="queue-title">${o.name}</span>
        <span class="muted">${ORGANISATION_KINDS[/** @type {keyof typeof ORGANISATION_KINDS} */ (o.kind)]} · ${formatDateTime(o.createdAt)}</span>`}
      detail=${(/** @type {any} */ o) => html`<${OrganisationReview} organisation=${o}
        onDone=${(/** @type {string} */ m) => { setDone(m); queue.reload(); }} />`} />`}
  <//>`;
}

/** @param {{ product: any, onDone: (message: string) => void }} props */
function ProductReview({ product, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const decide = async (/** @type {'PUBLISH' | 'REJECT'} */ decision) => {
    const input = { productId: product.id, decision, reason: decision === 'REJECT' ? reason : null };
    if (await run(ReviewProduct, { input }, 'reviewProduct')) {
      onDone(decision === 'PUBLISH' ? `“${product.title}”已发布。` : `“${product.title}”已退回。`);
    }
  };
  return html`
    <h2>${product.title}</h2>
    <p>${product.summary}</p>
    <p class="description">${product.description}</p>
    <p class="muted">${product.organisation.name} · ${product.category.nameZh} · ${PRICE_TIERS[/** @type {keyof typeof PRICE_TIERS} */ (product.priceTier)]}${product.priceYuan ? ` · ${formatYuan(product.priceYuan)}` : ''}</p>
    <${AuditHistory} id=${product.id} />
    <${Field} label="退回理由（退回时必填，组织会看到）" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button primary" onClick=${() => decide('PUBLISH')} disabled=${busy} aria-label=${`发布 ${product.title}`}>发布</button>
      <button type="button" class="button secondary" onClick=${() => decide('REJECT')} disabled=${busy} aria-label=${`退回修改 ${product.title}`}>退回修改</button>
    </div>`;
}

export function ProductReviews() {
  const queue = useQuery(ProductReviewQueue);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.products.edges.map((/** @type {any} */ e) => e.node) || [];
  return html`<${ConsolePage} section="products" title="社创产品审核">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待审核 ${queue.data.products.totalCount} 项</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待审核的产品" empty="没有待审核的产品。"
      row=${(/** @type {any} */ p) => html`<span class="queue-title">${p.title}</span>
        <span class="muted">${p.organisation.name} · ${p.category.nameZh}</span>`}
      detail=${(/** @type {any} */ p) => html`<${ProductReview} product=${p}
        onDone=${(/** @type {string} */ m) => { setDone(m); queue.reload(); }} />`} />`}
  <//>`;
}

const APPROVAL_KINDS = { ADJUST: '调整余额', REVERSE: '冲正', ALLOCATE_BUDGET: '拨付预算' };

/** @param {{ item: any, names: Record<string, string>, mine: boolean, onDone: (message: string) => void }} props */
function ApprovalDecision({ item, names, mine, onDone }) {
  const { run, busy, errors } = useMutation();
  const [note, setNote] = useState('');
  const decide = async (/** @type {boolean} */ approve) => {
    const input = { approvalRequestId: item.id, approve, note: note || null };
    if (await run(DecideApprovalRequest, { input }, 'decideApprovalRequest')) {
      onDone(approve ? '已批准，积分已入账。' : '已驳回，积分未变动。');
    }
  };
  const target = item.organisationId || item.accountId || item.transferId;
  return html`
    <h2>${APPROVAL_KINDS[/** @type {keyof typeof APPROVAL_KINDS} */ (item.kind)]} ${formatChange(item.change)} 积分</h2>
    <dl class="facts">
      <dt>对象</dt><dd>${names[target] || '…'}</dd>
      <dt>申请人</dt><dd>${names[item.requestedById] || '…'}</dd>
      <dt>申请时间</dt><dd><time datetime=${item.createdAt}>${formatDateTime(item.createdAt)}</time></dd>
      <dt>理由</dt><dd>${item.reason}</dd>
    </dl>
    <${AuditHistory} id=${target} title="对象的审计记录" />
    ${mine ? html`<p class="review-note">这是你提交的申请，需要另一位工作人员复核。</p>` : html`
      <${Field} label="复核意见" name="note" value=${note} onInput=${setNote} error=${errors.note} />
      <${FormError} errors=${errors} fields=${['note']} />
      <div class="actions">
        <button type="button" class="button primary" disabled=${busy} onClick=${() => decide(true)}>批准</button>
        <button type="button" class="button secondary" disabled=${busy} onClick=${() => decide(false)}>驳回</button>
      </div>`}`;
}

export function ApprovalQueueScreen() {
  const queue = useQuery(ApprovalQueue);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.approvalRequests.nodes || [];
  const names = useNames(items.flatMap((/** @type {any} */ a) => [a.requestedById, a.organisationId || a.accountId || a.transferId]));
  return html`<${ConsolePage} section="approvals" title="积分复核">
    <p class="muted">超过双人复核额度的拨付、调整和冲正，须由另一位工作人员批准后才入账。</p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待复核 ${queue.data.approvalRequests.totalCount} 项</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待复核的申请" empty="没有待复核的申请。"
      row=${(/** @type {any} */ a) => html`<span class="queue-title">${APPROVAL_KINDS[/** @type {keyof typeof APPROVAL_KINDS} */ (a.kind)]} ${formatChange(a.change)}</span>
        <span class="muted">${names[a.organisationId || a.accountId || a.transferId] || ''} · ${formatDateTime(a.createdAt)}</span>`}
      detail=${(/** @type {any} */ a) => html`<${ApprovalDecision} item=${a} names=${names} mine=${a.requestedById === queue.data.me.id}
        onDone=${(/** @type {string} */ m) => { setDone(m); queue.reload(); }} />`} />`}
  <//>`;
}
