// The console's directory (search residents, organisations and merchants; open one: its
// account and history, memberships, audit trail; suspend and restore with a reason) and the
// merchant applications queue (admit or reject with a reason).
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  DirectoryEntry, DirectorySearch, MerchantQueue, RestoreMerchant, RestoreOrganisation, RestoreUser, ReviewMerchant,
  SuspendMerchant, SuspendOrganisation, SuspendUser,
} from '../operations/directory.js';
import { AccountHistoryLink } from '../operations/insight.js';
import { navigate, useLocation } from '../router.js';
import { formatChange, formatDateTime, formatPoints, periodBounds, periodOptions, TRANSFER_LABELS } from '../format.js';
import {
  Field, FormError, Notice, QueryState, Submit, prevent, useMutation, useQuery,
} from '../ui.js';
import { AuditHistory, ConsolePage, Queue } from './staff.js';

const ORGANISATION_STATUS = { PENDING: '待认证', VERIFIED: '已认证', REJECTED: '未通过', SUSPENDED: '已暂停' };
const MERCHANT_STATUS = { PENDING: '待入驻', ACTIVE: '已入驻', SUSPENDED: '已暂停', REJECTED: '未通过' };
const USER_STATUS = { ACTIVE: '正常', SUSPENDED: '已暂停' };
const MEMBER_ROLES = { OWNER: '负责人', MANAGER: '管理员', MEMBER: '成员' };

/** @param {{ merchant: any, onDone: (message: string) => void }} props */
function MerchantReview({ merchant, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const decide = async (/** @type {'ADMIT' | 'REJECT'} */ decision) => {
    const input = { merchantId: merchant.id, decision, reason: reason || null };
    if (await run(ReviewMerchant, { input }, 'reviewMerchant')) {
      onDone(decision === 'ADMIT' ? `“${merchant.shopName}”已加入商家联盟。` : `“${merchant.shopName}”的申请未通过，已告知理由。`);
    }
  };
  const o = merchant.organisation;
  return html`
    <h2>${merchant.shopName}</h2>
    <dl class="facts">
      <dt>经营类别</dt><dd>${merchant.category.nameZh}</dd>
      <dt>地址</dt><dd>${merchant.address}</dd>
      <dt>营业时间</dt><dd>${merchant.openingHours}</dd>
      <dt>所在社区</dt><dd>${merchant.community?.name || '未填写'}</dd>
      <dt>所属组织</dt><dd><a href=${`/staff/directory/${o.id}`}>${o.name}</a>（${ORGANISATION_STATUS[/** @type {keyof typeof ORGANISATION_STATUS} */ (o.status)]}）</dd>
      <dt>联系方式</dt><dd>${o.contact}</dd>
      <dt>申请时间</dt><dd><time datetime=${merchant.createdAt}>${formatDateTime(merchant.createdAt)}</time></dd>
    </dl>
    <${AuditHistory} id=${merchant.id} />
    <${Field} label="理由（不通过时必填，商家会看到）" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} multiline />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button primary" disabled=${busy} onClick=${() => decide('ADMIT')}
        aria-label=${`准予入驻 ${merchant.shopName}`}>准予入驻</button>
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => decide('REJECT')}
        aria-label=${`不予入驻 ${merchant.shopName}`}>不予入驻</button>
    </div>`;
}

export function MerchantQueueScreen() {
  const queue = useQuery(MerchantQueue);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.merchantApplications.nodes || [];
  return html`<${ConsolePage} section="merchants" title="商家入驻">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待审核 ${queue.data.merchantApplications.totalCount} 家，最早申请的在前</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待审核的商家" empty="没有待审核的入驻申请。"
      row=${(/** @type {any} */ m) => html`<span class="queue-title">${m.shopName}</span>
        <span class="muted">${m.organisation.name} · ${formatDateTime(m.createdAt)}</span>`}
      detail=${(/** @type {any} */ m) => html`<${MerchantReview} merchant=${m}
        onDone=${(/** @type {string} */ message) => { setDone(message); queue.reload(); }} />`} />`}
  <//>`;
}

const KINDS = [['residents', '居民'], ['organisations', '组织'], ['merchants', '商家']];

export function DirectoryScreen() {
  const { query } = useLocation();
  const kind = KINDS.some(([k]) => k === query.get('kind')) ? /** @type {string} */ (query.get('kind')) : 'residents';
  const text = query.get('q') || '';
  const communityId = query.get('community') || '';
  const [form, setForm] = useState({ text, communityId });
  const variables = {
    text: text || null, communityId: communityId || null,
    residents: kind === 'residents', organisations: kind === 'organisations', merchants: kind === 'merchants',
  };
  const results = useQuery(DirectorySearch, variables, [kind, text, communityId]);
  const go = (/** @type {string} */ k, /** @type {{ text: string, communityId: string }} */ f) => {
    const params = new URLSearchParams({ kind: k });
    if (f.text) params.set('q', f.text);
    if (f.communityId) params.set('community', f.communityId);
    navigate(`/staff/directory?${params}`);
  };
  const submit = (/** @type {any} */ event) => { prevent(event); go(kind, form); };
  const communities = results.data?.communities.nodes || [];
  const found = results.data?.[kind];
  return html`<${ConsolePage} section="directory" title="名录">
    <nav class="sub-nav" aria-label="名录类别">
      ${KINDS.map(([k, label]) => html`<a key=${k} href=${`/staff/directory?kind=${k}`} aria-current=${k === kind ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <form class="search directory-search" role="search" onSubmit=${submit}>
      <${Field} label="姓名、手机号或邮箱" name="q" value=${form.text} onInput=${(/** @type {string} */ v) => setForm({ ...form, text: v })} />
      <${Field} label="社区" name="community" value=${form.communityId}
        onInput=${(/** @type {string} */ v) => setForm({ ...form, communityId: v })}
        options=${[['', '全部社区'], ...communities.map((/** @type {any} */ c) => [c.id, c.name])]} />
      <button type="submit" class="button primary">搜索</button>
    </form>
    <${QueryState} query=${results} lines=${4} />
    ${found && html`<p class="muted" role="status">找到 ${found.totalCount} ${kind === 'residents' ? '位' : '家'}</p>`}
    ${found && found.nodes.length > 0 && html`<div class="table-scroll"><table class="sheet">
      <caption class="visually-hidden">搜索结果</caption>
      ${kind === 'residents' && html`<thead><tr><th scope="col">姓名</th><th scope="col">手机号</th><th scope="col">邮箱</th><th scope="col">社区</th><th scope="col">状态</th></tr></thead>
        <tbody>${found.nodes.map((/** @type {any} */ u) => html`<tr key=${u.id}>
          <td><a href=${`/staff/directory/${u.id}`}>${u.displayName}</a></td><td>${u.phone || '—'}</td><td>${u.email || '—'}</td>
          <td>${u.community?.name || '—'}</td><td>${USER_STATUS[/** @type {keyof typeof USER_STATUS} */ (u.status)]}</td></tr>`)}</tbody>`}
      ${kind === 'organisations' && html`<thead><tr><th scope="col">名称</th><th scope="col">社区</th><th scope="col">状态</th></tr></thead>
        <tbody>${found.nodes.map((/** @type {any} */ o) => html`<tr key=${o.id}>
          <td><a href=${`/staff/directory/${o.id}`}>${o.name}</a></td><td>${o.community?.name || '—'}</td>
          <td>${ORGANISATION_STATUS[/** @type {keyof typeof ORGANISATION_STATUS} */ (o.status)]}</td></tr>`)}</tbody>`}
      ${kind === 'merchants' && html`<thead><tr><th scope="col">店名</th><th scope="col">所属组织</th><th scope="col">社区</th><th scope="col">状态</th></tr></thead>
        <tbody>${found.nodes.map((/** @type {any} */ m) => html`<tr key=${m.id}>
          <td><a href=${`/staff/directory/${m.id}`}>${m.shopName}</a></td><td>${m.organisation.name}</td><td>${m.community?.name || '—'}</td>
          <td>${MERCHANT_STATUS[/** @type {keyof typeof MERCHANT_STATUS} */ (m.status)]}</td></tr>`)}</tbody>`}
    </table></div>`}
  <//>`;
}

/** An account's balance and its movements, as a table a desk can read. @param {{ account: any, title: string }} props */
function AccountTable({ account, title }) {
  const entries = account.history.edges.map((/** @type {any} */ e) => e.node);
  return html`<section aria-labelledby="account-title">
    <h3 id="account-title">${title}：<span data-testid="balance">${formatPoints(account.balance)}</span></h3>
    <p class="muted">${entries.length ? `共 ${account.history.totalCount} 笔，显示最近 ${entries.length} 笔` : '还没有流水。'}</p>
    ${entries.length > 0 && html`<div class="table-scroll"><table class="sheet">
      <caption class="visually-hidden">${title}的流水</caption>
      <thead><tr><th scope="col">时间</th><th scope="col">类型</th><th scope="col">说明</th><th scope="col">对方</th><th scope="col" class="number">积分</th></tr></thead>
      <tbody>${entries.map((/** @type {any} */ e) => html`<tr key=${e.transfer.id}>
        <td><time datetime=${e.transfer.createdAt}>${formatDateTime(e.transfer.createdAt)}</time></td>
        <td>${TRANSFER_LABELS[/** @type {keyof typeof TRANSFER_LABELS} */ (e.transfer.code)] || e.transfer.code}</td>
        <td>${e.transfer.reason}</td><td>${e.counterpart.name}</td>
        <td class="number">${formatChange(e.change)}</td>
      </tr>`)}</tbody>
    </table></div>`}
    <${HistoryExport} accountId=${account.id} title=${title} />
  </section>`;
}

/**
 * The account's history for a chosen period as CSV.
 * @param {{ accountId: string, title: string }} props
 */
function HistoryExport({ accountId, title }) {
  const [period, setPeriod] = useState('');
  const { from, to } = periodBounds(period);
  const link = useQuery(AccountHistoryLink, { id: accountId, from, until: to }, [accountId, period]);
  const url = link.data?.node?.historyCsvUrl;
  return html`<div class="history-export">
    <${Field} label="导出时间段" name="historyPeriod" value=${period} onInput=${setPeriod} options=${periodOptions()} />
    ${url && html`<a class="button secondary" href=${url} download="history.csv" data-testid="export-history">下载${title.replace('余额', '')}流水 CSV</a>`}
  </div>`;
}

/**
 * Suspend or restore with a reason: which pair of mutations depends on what the entry is.
 * @param {{ entry: any, onDone: (message: string) => void }} props
 */
function Standing({ entry, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const suspended = entry.status === 'SUSPENDED';
  const kinds = {
    User: { key: 'userId', suspend: [SuspendUser, 'suspendUser'], restore: [RestoreUser, 'restoreUser'] },
    Organisation: { key: 'organisationId', suspend: [SuspendOrganisation, 'suspendOrganisation'], restore: [RestoreOrganisation, 'restoreOrganisation'] },
    Merchant: { key: 'merchantId', suspend: [SuspendMerchant, 'suspendMerchant'], restore: [RestoreMerchant, 'restoreMerchant'] },
  };
  const kind = kinds[/** @type {keyof typeof kinds} */ (entry.__typename)];
  const [document, field] = suspended ? kind.restore : kind.suspend;
  const submit = async (/** @type {any} */ event) => {
    prevent(event);
    if (await run(document, { input: { [kind.key]: entry.id, reason } }, field)) {
      setReason('');
      onDone(suspended ? '已恢复。' : '已暂停。');
    }
  };
  const canAct = suspended || entry.status === 'ACTIVE' || entry.status === 'VERIFIED';
  if (!canAct) return null;
  return html`<form class="card inset standing" onSubmit=${submit} noValidate>
    <h3>${suspended ? '恢复' : '暂停'}</h3>
    <${Field} label=${suspended ? '恢复理由' : '暂停理由'} name="reason" value=${reason} onInput=${setReason}
      error=${errors.reason} required hint="记入审计记录，对方会看到" />
    <${FormError} errors=${errors} fields=${['reason']} />
    <${Submit} busy=${busy} kind=${suspended ? 'primary' : 'secondary'}>${suspended ? '恢复' : '暂停'}<//>
  </form>`;
}

/** @param {{ id: string }} props */
export function DirectoryEntryScreen({ id }) {
  const entry = useQuery(DirectoryEntry, { id }, [id]);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const found = entry.data?.node;
  // Each kind's status is its own enum, so the document asks for it under the kind's name.
  const n = found && { ...found, status: found.userStatus || found.organisationStatus || found.merchantStatus };
  const finished = (/** @type {string} */ message) => { setDone(message); entry.reload(); };
  const title = n ? (n.displayName || n.name || n.shopName) : '名录';
  return html`<${ConsolePage} section="directory" title=${title}>
    <p><a class="back" href="/staff/directory"><span aria-hidden="true">‹ </span>回到名录</a></p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${entry} lines=${5} />
    ${n && html`<div class="entry">
        <section class="card entry-facts">
          ${n.__typename === 'User' && html`<dl class="facts">
            <dt>手机号</dt><dd>${n.phone || '—'}</dd>
            <dt>邮箱</dt><dd>${n.email || '—'}</dd>
            <dt>社区</dt><dd>${n.community?.name || '—'}</dd>
            <dt>注册时间</dt><dd>${formatDateTime(n.createdAt)}</dd>
            <dt>状态</dt><dd>${USER_STATUS[/** @type {keyof typeof USER_STATUS} */ (n.status)]}${n.statusReason ? `：${n.statusReason}` : ''}</dd>
            <dt>所在组织</dt><dd>${n.memberships.length ? n.memberships.map((/** @type {any} */ m) => html`<a href=${`/staff/directory/${m.organisation.id}`} key=${m.organisation.id}>${m.organisation.name}</a>（${MEMBER_ROLES[/** @type {keyof typeof MEMBER_ROLES} */ (m.role)]}） `) : '无'}</dd>
          </dl>`}
          ${n.__typename === 'Organisation' && html`<dl class="facts">
            <dt>状态</dt><dd>${ORGANISATION_STATUS[/** @type {keyof typeof ORGANISATION_STATUS} */ (n.status)]}${n.statusReason ? `：${n.statusReason}` : ''}</dd>
            <dt>社区</dt><dd>${n.community?.name || '—'}</dd>
            <dt>联系方式</dt><dd>${n.contact}</dd>
            <dt>成员</dt><dd>${n.members.nodes.map((/** @type {any} */ m) => html`<a href=${`/staff/directory/${m.userId}`} key=${m.userId}>${m.displayName}</a>（${MEMBER_ROLES[/** @type {keyof typeof MEMBER_ROLES} */ (m.role)]}） `)}</dd>
            ${n.merchant && html`<dt>商家</dt><dd><a href=${`/staff/directory/${n.merchant.id}`}>${n.merchant.shopName}</a></dd>`}
          </dl>
          <p class="description">${n.description}</p>
          ${n.status === 'VERIFIED' && html`<p><a class="button secondary" href=${`/staff/budgets?organisation=${n.id}`}>拨付预算</a></p>`}`}
          ${n.__typename === 'Merchant' && html`<dl class="facts">
            <dt>状态</dt><dd>${MERCHANT_STATUS[/** @type {keyof typeof MERCHANT_STATUS} */ (n.status)]}${n.statusReason ? `：${n.statusReason}` : ''}</dd>
            <dt>所属组织</dt><dd><a href=${`/staff/directory/${n.organisation.id}`}>${n.organisation.name}</a></dd>
            <dt>经营类别</dt><dd>${n.category.nameZh}</dd>
            <dt>地址</dt><dd>${n.address}</dd>
            <dt>营业时间</dt><dd>${n.openingHours}</dd>
            <dt>社区</dt><dd>${n.community?.name || '—'}</dd>
            <dt>申请时间</dt><dd>${formatDateTime(n.createdAt)}</dd>
          </dl>`}
        </section>
      <div class="card entry-account">
        ${n.__typename === 'User' && html`<${AccountTable} account=${n.wallet} title="钱包余额" />`}
        ${n.__typename === 'Organisation' && html`<${AccountTable} account=${n.budget} title="预算余额" />`}
        ${n.__typename === 'Merchant' && html`<${AccountTable} account=${n.account} title="商家账户余额" />
          <p><a href=${`/counter/${n.id}/statement`}>查看月度对账单</a></p>`}
      </div>
      <div class="entry-trail">
        <${AuditHistory} id=${n.id} />
        ${n.__typename === 'User' && html`<${AuditHistory} id=${n.wallet.id} title="钱包审计记录" />`}
        <${Standing} entry=${n} onDone=${finished} />
      </div>
    </div>`}
  <//>`;
}
