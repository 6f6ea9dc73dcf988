// The console's budgets: the district's points totals, allocation of points to a verified
// organisation (large allocations wait for a second staff member), and what each
// organisation's budget holds now.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { AllocateBudget } from '../operations/staff.js';
import { BudgetRecipients } from '../operations/directory.js';
import { idempotencyKey } from '../api.js';
import { useLocation } from '../router.js';
import { formatPoints } from '../format.js';
import {
  Field, FormError, Notice, QueryState, Submit, prevent, useMutation, useQuery,
} from '../ui.js';
import { ConsolePage } from './staff.js';

/** @param {{ organisationId: string, organisations: any[], onDone: () => void }} props */
function AllocationForm({ organisationId, organisations, onDone }) {
  const { run, busy, errors } = useMutation();
  const [values, setValues] = useState({ organisationId, amount: '', reason: '' });
  // One key per filled-in form: a retry after a lost answer cannot allocate twice.
  const [key, setKey] = useState(idempotencyKey());
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const set = (/** @type {string} */ name) => (/** @type {string} */ value) => setValues((v) => ({ ...v, [name]: value }));
  const submit = async (/** @type {any} */ event) => {
    prevent(event);
    const input = { organisationId: values.organisationId, amount: Number(values.amount), reason: values.reason, idempotencyKey: key };
    const payload = await run(AllocateBudget, { input }, 'allocateBudget');
    if (!payload) return;
    const name = organisations.find((o) => o.id === values.organisationId)?.name || '';
    setDone(payload.transfer
      ? `已向“${name}”拨付 ${formatPoints(payload.transfer.amount)}。`
      : `拨付“${name}”${formatPoints(input.amount)}超过双人复核额度，已提交另一位工作人员复核。`);
    setValues({ organisationId: '', amount: '', reason: '' });
    setKey(idempotencyKey());
    onDone();
  };
  return html`<form class="card" onSubmit=${submit} noValidate aria-labelledby="allocate-title">
    <h2 id="allocate-title">拨付积分预算</h2>
    <p class="muted">拨付记入流水和审计记录；超过双人复核额度的，提交后由另一位工作人员复核。</p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <div class="form-row">
      <${Field} label="组织" name="organisationId" value=${values.organisationId} onInput=${set('organisationId')}
        error=${errors.organisationId} required
        options=${[['', '请选择已认证的组织'], ...organisations.map((o) => [o.id, o.name])]} />
      <${Field} label="积分" name="amount" type="number" inputmode="numeric" min="1" value=${values.amount}
        onInput=${set('amount')} error=${errors.amount} required />
      <${Field} label="用途" name="reason" value=${values.reason} onInput=${set('reason')} error=${errors.reason} required />
    </div>
    <${FormError} errors=${errors} fields=${['organisationId', 'amount', 'reason']} />
    <${Submit} busy=${busy}>拨付<//>
  </form>`;
}

export function BudgetsScreen() {
  const { query } = useLocation();
  const figures = useQuery(BudgetRecipients);
  const t = figures.data?.ledgerTotals;
  const organisations = figures.data?.organisations.nodes || [];
  return html`<${ConsolePage} section="budgets" title="积分预算">
    <${QueryState} query=${figures} lines=${2} />
    ${t && html`<dl class="figures" aria-label="全区积分">
      <div><dt>累计发行</dt><dd data-testid="issued">${formatPoints(t.issued)}</dd></div>
      <div><dt>流通中</dt><dd>${formatPoints(t.outstanding)}</dd></div>
      <div><dt>兑换冻结</dt><dd>${formatPoints(t.held)}</dd></div>
      <div><dt>已兑换</dt><dd>${formatPoints(t.redeemed)}</dd></div>
      <div><dt>已过期</dt><dd>${formatPoints(t.expired)}</dd></div>
    </dl>`}
    ${figures.data && html`<${AllocationForm} organisationId=${query.get('organisation') || ''}
      organisations=${organisations} onDone=${figures.reload} />`}
    ${figures.data && html`<section class="card" aria-labelledby="budgets-title">
      <h2 id="budgets-title">各组织预算</h2>
      <p class="muted">已认证 ${figures.data.organisations.totalCount} 家</p>
      ${organisations.length > 0 && html`<div class="table-scroll"><table class="sheet">
        <caption class="visually-hidden">已认证组织的预算余额</caption>
        <thead><tr><th scope="col">组织</th><th scope="col">社区</th><th scope="col" class="number">余额</th></tr></thead>
        <tbody>${organisations.map((/** @type {any} */ o) => html`<tr key=${o.id}>
          <td><a href=${`/staff/directory/${o.id}`}>${o.name}</a></td><td>${o.community?.name || '—'}</td>
          <td class="number">${formatPoints(o.budget.balance)}</td>
        </tr>`)}</tbody>
      </table></div>`}
      ${!organisations.length && html`<p class="muted">还没有已认证的组织。</p>`}
    </section>`}
  <//>`;
}
