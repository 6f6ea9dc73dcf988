// Merchant settlement in the console: a month's settlements with what the centre owes, closing
// a month that has ended, approving a settlement (a second staff member) and recording the
// payment's reference; the CSV of what is shown.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  ApproveSettlement, CloseSettlements, MarkSettlementPaid, Settlements, SettlementsCsv,
} from '../operations/settlement.js';
import { request } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { formatDateTime, formatPoints, formatYuan, recentMonths, SETTLEMENT_STATUS } from '../format.js';
import { Field, FormError, Notice, QueryState, Submit, useMutation, useQuery, prevent } from '../ui.js';
import { ConsolePage } from './staff.js';

/** @param {{ settlement: any, reload: () => void }} props */
function SettlementRow({ settlement: s, reload }) {
  const { run, busy, errors } = useMutation();
  const [reference, setReference] = useState('');
  const approve = async () => {
    if (await run(ApproveSettlement, { input: { settlementId: s.id } }, 'approveSettlement')) reload();
  };
  const pay = async (/** @type {Event} */ event) => {
    prevent(event);
    if (await run(MarkSettlementPaid, { input: { settlementId: s.id, reference } }, 'markSettlementPaid')) reload();
  };
  return html`<tr>
    <th scope="row">${s.merchant.shopName}</th>
    <td>${s.month}</td>
    <td class="number">${s.lines}</td>
    <td class="number">${formatPoints(s.points)}</td>
    <td class="number">${formatYuan(s.amountYuan)}</td>
    <td><span class=${`tag${s.status === 'PAID' ? ' ok' : ' waitlist'}`}>${SETTLEMENT_STATUS[/** @type {keyof typeof SETTLEMENT_STATUS} */ (s.status)]}</span>
      ${s.paidReference && html`<br /><span class="muted">${s.paidReference} · ${formatDateTime(s.paidAt)}</span>`}</td>
    <td>
      ${s.status === 'CLOSED' && html`<button type="button" class="button secondary" onClick=${approve} disabled=${busy}>复核通过</button>`}
      ${s.status === 'APPROVED' && html`<form onSubmit=${pay} novalidate>
        <${Field} label="付款凭证号" name="reference" value=${reference} onInput=${setReference} error=${errors.reference} />
        <${Submit} busy=${busy} kind="secondary">记录付款<//>
      </form>`}
      <${FormError} errors=${errors} fields=${['reference']} />
    </td>
  </tr>`;
}

export function SettlementsScreen() {
  const { query } = useLocation();
  const month = query.get('month') || recentMonths(2)[1][0];
  const status = query.get('status') || '';
  const filter = { month, status: status || null };
  const list = useQuery(Settlements, { filter }, [month, status]);
  const close = useMutation();
  const [closed, setClosed] = useState(/** @type {any} */ (null));
  const [downloadError, setDownloadError] = useState('');
  const choose = (/** @type {string} */ key, /** @type {string} */ value) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set(key, value); else next.delete(key);
    navigate(`/staff/settlements?${next}`, { replace: true });
  };
  const closeMonth = async () => {
    const payload = await close.run(CloseSettlements, { input: { month } }, 'closeSettlements');
    if (payload) {
      setClosed(payload);
      list.reload();
    }
  };
  // Links are signed for five minutes: a fresh one on each press.
  const download = async () => {
    setDownloadError('');
    try {
      const fresh = await request(SettlementsCsv, { filter });
      window.location.assign(fresh.settlementTotals.csvUrl);
    } catch {
      setDownloadError('下载失败，请稍后再试。');
    }
  };
  const totals = list.data?.settlementTotals;
  const rows = list.data?.settlements.edges || [];
  return html`<${ConsolePage} section="settlements" title="商家结算">
    <div class="filters">
      <${Field} label="月份" name="month" value=${month} onInput=${(/** @type {string} */ v) => choose('month', v)} options=${recentMonths(13)} />
      <${Field} label="状态" name="status" value=${status} onInput=${(/** @type {string} */ v) => choose('status', v)}
        options=${[['', '全部'], ['CLOSED', '待复核'], ['APPROVED', '待付款'], ['PAID', '已付款']]} />
    </div>
    <section class="card" aria-labelledby="close-title">
      <h2 id="close-title">月度结算</h2>
      <p>月份结束后，把该月各商家已核销的积分结算为一笔，冻结对账单；再次结算不会重复。</p>
      <button type="button" class="button primary" onClick=${closeMonth} disabled=${close.busy}>结算 ${month}</button>
      <${FormError} errors=${close.errors} fields=${['month']} />
      ${closed && html`<${Notice}><p>${closed.month}：新结算 ${closed.closed} 家，此前已结算 ${closed.alreadyClosed} 家${closed.refused.length ? `；${closed.refused.length} 家未能结算：${closed.refused.map((/** @type {any} */ r) => `${r.merchant.shopName}（${r.message}）`).join('、')}` : ''}。</p><//>`}
    </section>
    <${QueryState} query=${list} lines=${4} />
    ${totals && html`<section class="card" aria-labelledby="owed-title">
      <h2 id="owed-title">应付商家</h2>
      <p>${totals.settlements} 笔结算，${formatPoints(totals.points)}，合计 <strong>${formatYuan(totals.amountYuan)}</strong>；尚未付款 <strong>${formatYuan(totals.owedYuan)}</strong></p>
      <button type="button" class="button secondary" onClick=${download}>下载 CSV</button>
      ${downloadError && html`<p class="field-error" role="alert">${downloadError}</p>`}
    </section>`}
    ${list.data && (rows.length === 0
      ? html`<p>这个月还没有结算。</p>`
      : html`<div class="table-scroll"><table class="sheet" data-testid="settlements">
          <caption class="visually-hidden">${month} 的商家结算</caption>
          <thead><tr><th scope="col">商家</th><th scope="col">月份</th><th scope="col">笔数</th><th scope="col">积分</th><th scope="col">金额</th><th scope="col">状态</th><th scope="col">操作</th></tr></thead>
          <tbody>${rows.map((/** @type {any} */ { node }) => html`<${SettlementRow} key=${node.id} settlement=${node} reload=${list.reload} />`)}</tbody>
        </table></div>`)}
  <//>`;
}
