// 异常复核: the cases the review rules opened (identical check-in seconds, minutes counted twice,
// many accounts behind one address, points passed around a loop, a merchant's surge, redeeming
// at a shop before joining it), with the rows they saw and the points they hold, for a staff
// member to clear (the points come back) or to act on: reverse what the case names, suspend
// the residents it names, or record what was done elsewhere.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { CloseReviewCase, ReviewCases } from '../operations/review.js';
import { formatDateTime } from '../format.js';
import { Field, FormError, Notice, QueryState, useMutation, useQuery } from '../ui.js';
import { ConsolePage, Queue } from './staff.js';

const RULES = {
  IDENTICAL_ATTENDANCE: '同秒签到签退',
  OVERLAPPING_MINUTES: '服务时间重叠',
  ACCOUNTS_PER_ADDRESS: '同一网络多账户',
  TRANSFER_CYCLE: '积分循环转赠',
  MERCHANT_SURGE: '商家核销激增',
  MEMBER_REDEMPTION: '先兑换后入职',
};

/** @param {{ item: any, onDone: (message: string) => void }} props */
function CaseDecision({ item, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const [reverse, setReverse] = useState(false);
  const [suspend, setSuspend] = useState(false);
  const close = async (/** @type {'CLEARED' | 'ACTED'} */ outcome) => {
    const acting = outcome === 'ACTED' ? { reverse, suspend } : {};
    if (await run(CloseReviewCase, { input: { caseId: item.id, outcome, reason, ...acting } }, 'closeReviewCase')) {
      onDone(outcome === 'CLEARED' ? '已确认无异常，案件关闭，冻结的积分已退回。' : '已处理，案件关闭。');
    }
  };
  return html`
    <h2>${RULES[/** @type {keyof typeof RULES} */ (item.rule)] || item.rule}</h2>
    <p>${item.explanation}</p>
    <p class="muted">发现于 ${formatDateTime(item.openedAt)}</p>
    <h3>依据</h3>
    <ul class="plain evidence">${item.evidence.map((/** @type {string} */ line, /** @type {number} */ i) => html`<li key=${i}>${line}</li>`)}</ul>
    ${item.heldPoints > 0 && html`<p><strong>冻结中 ${item.heldPoints} 分</strong>：案件关闭前居民不能使用这些积分。</p>`}
    ${item.transferIds.length > 0 && html`<label class="check">
      <input type="checkbox" checked=${reverse} onChange=${(/** @type {any} */ e) => setReverse(e.currentTarget.checked)} />
      冲正涉及的 ${item.transferIds.length} 笔积分流水（超过双人复核额度的，将提交另一位工作人员批准）</label>`}
    ${item.userIds.length > 0 && html`<label class="check">
      <input type="checkbox" checked=${suspend} onChange=${(/** @type {any} */ e) => setSuspend(e.currentTarget.checked)} />
      暂停涉及的 ${item.userIds.length} 个居民账号</label>`}
    <${Field} label="处理说明" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} multiline maxlength=${500} required />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => close('CLEARED')}>无异常，关闭</button>
      <button type="button" class="button primary" disabled=${busy} onClick=${() => close('ACTED')}>${reverse || suspend ? '执行处理并关闭' : '已处理，关闭'}</button>
    </div>`;
}

export function ReviewCasesScreen() {
  const queue = useQuery(ReviewCases);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.reviewCases.nodes || [];
  return html`<${ConsolePage} section="reviews" title="异常复核">
    <p class="muted">规则在签到、登录、积分流水和核销中发现的可疑情形，逐一核实后关闭。</p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待复核 ${queue.data.reviewCases.totalCount} 件</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待复核的案件" empty="没有待复核的案件。"
      row=${(/** @type {any} */ c) => html`<span class="queue-title">${RULES[/** @type {keyof typeof RULES} */ (c.rule)] || c.rule}</span>
        <span class="muted">${formatDateTime(c.openedAt)}</span>`}
      detail=${(/** @type {any} */ c) => html`<${CaseDecision} item=${c} onDone=${(/** @type {string} */ m) => { setDone(m); queue.reload(); }} />`} />`}
  <//>`;
}
