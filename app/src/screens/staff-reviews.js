// 异常复核: the cases the review rules opened (identical check-in seconds, points passed around a
// loop), with the rows they saw, for a staff member to clear or to close as acted on after
// reversing points or suspending accounts with the console's own tools.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { CloseReviewCase, ReviewCases } from '../operations/review.js';
import { formatDateTime } from '../format.js';
import { Field, FormError, Notice, QueryState, useMutation, useQuery } from '../ui.js';
import { ConsolePage, Queue } from './staff.js';

const RULES = { IDENTICAL_ATTENDANCE: '同秒签到签退', TRANSFER_CYCLE: '积分循环转赠' };

/** @param {{ item: any, onDone: (message: string) => void }} props */
function CaseDecision({ item, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const close = async (/** @type {'CLEARED' | 'ACTED'} */ outcome) => {
    if (await run(CloseReviewCase, { input: { caseId: item.id, outcome, reason } }, 'closeReviewCase')) {
      onDone(outcome === 'CLEARED' ? '已确认无异常，案件关闭。' : '已记录处理结果，案件关闭。');
    }
  };
  return html`
    <h2>${RULES[/** @type {keyof typeof RULES} */ (item.rule)] || item.rule}</h2>
    <p>${item.explanation}</p>
    <p class="muted">发现于 ${formatDateTime(item.openedAt)}</p>
    <h3>依据</h3>
    <ul class="plain evidence">${item.evidence.map((/** @type {string} */ line, /** @type {number} */ i) => html`<li key=${i}>${line}</li>`)}</ul>
    <p class="muted">需要冲正积分或停用账户时，请先在名录中处理，再在此记录结果。</p>
    <${Field} label="处理说明" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} multiline maxlength=${500} required />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => close('CLEARED')}>无异常，关闭</button>
      <button type="button" class="button primary" disabled=${busy} onClick=${() => close('ACTED')}>已处理，关闭</button>
    </div>`;
}

export function ReviewCasesScreen() {
  const queue = useQuery(ReviewCases);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const items = queue.data?.reviewCases.nodes || [];
  return html`<${ConsolePage} section="reviews" title="异常复核">
    <p class="muted">规则在签到、积分流水中发现的可疑情形，逐一核实后关闭。</p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待复核 ${queue.data.reviewCases.totalCount} 件</p>`}
    ${queue.data && html`<${Queue} items=${items} label="待复核的案件" empty="没有待复核的案件。"
      row=${(/** @type {any} */ c) => html`<span class="queue-title">${RULES[/** @type {keyof typeof RULES} */ (c.rule)] || c.rule}</span>
        <span class="muted">${formatDateTime(c.openedAt)}</span>`}
      detail=${(/** @type {any} */ c) => html`<${CaseDecision} item=${c} onDone=${(/** @type {string} */ m) => { setDone(m); queue.reload(); }} />`} />`}
  <//>`;
}
