// The console's budgets: the district's points totals, allocation of points to a verified
// organisation (large allocations wait for a second staff member), and for a chosen period
// what each organisation was allocated, paid out and to how many residents, with its CSV.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { AllocateBudget } from '../operations/staff.js';
import { BudgetRecipients, DistrictTotals } from '../operations/directory.js';
import { OrganisationBudgets } from '../operations/insight.js';
import { idempotencyKey } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { formatPoints, periodBounds, periodOptions } from '../format.js';
import {
  Field, FormError, Notice, QueryState, Submit, prevent, useMutation, useQuery,
} from '../ui.js';
import { ConsolePage } from './staff.js';

/**
 * @param {{ organisationId: string, organisations: any[], found: number, search: string,
 *   onSearch: (text: string) => void, onDone: () => void }} props
 */
function AllocationForm({ organisationId, organisations, found, search, onSearch, onDone }) {
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
    <${Field} label="查找组织" name="search" value=${search} onInput=${onSearch} type="search"
      hint=${found > organisations.length ? `找到 ${found} 家，下面列出前 ${organisations.length} 家；输入名称的一部分缩小范围` : `找到 ${found} 家已认证的组织`} />
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

/**
 * Each organisation's budget over the period chosen (in the address), 50 at a time.
 * @param {{ version: number }} props bumped by an allocation, which reloads the table
 */
function BudgetsByPeriod({ version }) {
  const { query } = useLocation();
  const period = query.get('period') || '';
  const { from, to } = periodBounds(period);
  const [after, setAfter] = useState(/** @type {string | null} */ (null));
  const page = useQuery(OrganisationBudgets, { filter: { from, to }, after }, [period, after, version]);
  const rows = page.data?.organisationBudgets.nodes || [];
  const choose = (/** @type {string} */ value) => {
    setAfter(null);
    navigate(value ? `/staff/budgets?period=${value}` : '/staff/budgets', { replace: true });
  };
  return html`<section class="card" aria-labelledby="budgets-title">
    <h2 id="budgets-title">各组织预算</h2>
    <div class="form-row">
      <${Field} label="时间段" name="period" value=${period} onInput=${choose} options=${periodOptions()} />
    </div>
    <${QueryState} query=${page} lines=${4} />
    ${page.data && html`<p class="muted">共 ${page.data.organisationBudgets.totalCount} 家组织；拨付和发放按所选时间段统计，余额为现在的余额。</p>`}
    ${rows.length > 0 && html`<div class="table-scroll"><table class="sheet" data-testid="budgets">
      <caption class="visually-hidden">各组织的预算：拨付、发放和余额</caption>
      <thead><tr><th scope="col">组织</th><th scope="col" class="number">拨付</th><th scope="col" class="number">发放给居民</th>
        <th scope="col" class="number">获得积分的居民</th><th scope="col" class="number">余额</th></tr></thead>
      <tbody>${rows.map((/** @type {any} */ o) => html`<tr key=${o.organisationId}>
        <td><a href=${`/staff/directory/${o.organisationId}`}>${o.name}</a></td>
        <td class="number">${formatPoints(o.allocated)}</td><td class="number">${formatPoints(o.paidOut)}</td>
        <td class="number">${o.residentsPaid} 人</td><td class="number">${formatPoints(o.balance)}</td>
      </tr>`)}</tbody>
    </table></div>`}
    ${page.data && !rows.length && html`<p class="muted">还没有组织的预算。</p>`}
    <div class="actions">
      ${page.data?.organisationBudgets.pageInfo.hasNextPage && html`<button type="button" class="button secondary"
        onClick=${() => setAfter(page.data.organisationBudgets.pageInfo.endCursor)}>下一页</button>`}
      ${after && html`<button type="button" class="button secondary" onClick=${() => setAfter(null)}>回到第一页</button>`}
      ${page.data && html`<a class="button secondary" href=${page.data.insightExports.organisationBudgets}
        download="organisation-budgets.csv" data-testid="export-organisationBudgets">下载 CSV</a>`}
    </div>
  </section>`;
}

export function BudgetsScreen() {
  const { query } = useLocation();
  const [search, setSearch] = useState('');
  const figures = useQuery(DistrictTotals);
  // Typing a name asks for organisations only, not the district's sums again.
  const recipients = useQuery(BudgetRecipients, { text: search || null }, [search]);
  // Bumped by each allocation, so the period's table shows it.
  const [version, setVersion] = useState(0);
  const t = figures.data?.ledgerTotals;
  const organisations = recipients.data?.organisations.nodes || [];
  return html`<${ConsolePage} section="budgets" title="积分预算">
    <${QueryState} query=${figures} lines=${2} />
    ${t && html`<dl class="figures" aria-label="全区积分">
      <div><dt>累计发行</dt><dd data-testid="issued">${formatPoints(t.issued)}</dd></div>
      <div><dt>流通中</dt><dd>${formatPoints(t.outstanding)}</dd></div>
      <div><dt>兑换冻结</dt><dd>${formatPoints(t.held)}</dd></div>
      <div><dt>已兑换</dt><dd>${formatPoints(t.redeemed)}</dd></div>
      <div><dt>已过期</dt><dd>${formatPoints(t.expired)}</dd></div>
    </dl>`}
    <${QueryState} query=${recipients} lines=${1} />
    ${(recipients.data || search) && html`<${AllocationForm} organisationId=${query.get('organisation') || ''}
      organisations=${organisations} found=${recipients.data?.organisations.totalCount ?? 0}
      search=${search} onSearch=${setSearch} onDone=${() => { figures.reload(); setVersion((v) => v + 1); }} />`}
    <${BudgetsByPeriod} version=${version} />
  <//>`;
}
