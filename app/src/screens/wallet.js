// The resident's wallet: balance, when its points lapse (by the year they were earned in), the
// last 90 days as a chart, history with reasons and counterparts; and giving points to a
// neighbour or a group's fund.
import { html, useMemo, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { DonatePoints, DonateToGroup, Wallet as WalletDocument, WalletTrend } from '../operations/wallet.js';
import { RequestEmailVerification } from '../operations/identity.js';
import { Groups } from '../operations/community.js';
import { idempotencyKey, request } from '../api.js';
import { useLocation } from '../router.js';
import {
  formatChange, formatDate, formatDateTime, formatPoints, TRANSFER_LABELS,
} from '../format.js';
import { dailyBalances, PointsChart } from '../chart.js';
import {
  Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

const TREND_DAYS = 90;
/** Lots lapsing within this many days are flagged, as the 30-day reminder email does. */
const SOON_DAYS = 30;

/** When each year's points lapse, oldest (spent first) at the top; none when points never expire.
 * @param {{ lots: { earnedYear: number, points: number, lapsesAt: string | null }[] }} props */
function Lapsing({ lots }) {
  const dated = lots.filter((lot) => lot.lapsesAt);
  if (dated.length === 0) return null;
  const soon = Date.now() + SOON_DAYS * 86_400_000;
  const lapsingSoon = dated.filter((lot) => Date.parse(/** @type {string} */ (lot.lapsesAt)) <= soon);
  return html`<section aria-labelledby="lots-title" class=${`card${lapsingSoon.length ? ' notice-card' : ''}`}>
    <h2 id="lots-title">积分有效期</h2>
    <ul class="lots">${dated.map((lot) => {
      // The last day they can be spent: the day before the instant they lapse, in Chengdu.
      const lastDay = formatDate(Date.parse(/** @type {string} */ (lot.lapsesAt)) - 1);
      const isSoon = lapsingSoon.includes(lot);
      return html`<li class="lot-row" key=${lot.earnedYear}>
        <span>${lot.earnedYear} 年获得 <strong>${formatPoints(lot.points)}</strong></span>
        <span class="muted">${lastDay} 前有效</span>
        ${isSoon && html`<span class="tag waitlist">即将过期</span>`}
      </li>`;
    })}</ul>
    <p class="muted">先获得的积分先使用。志愿服务时长永久有效。</p>
    ${lapsingSoon.length > 0 && html`<p>过期前可以<a href="/rewards">去兑换</a>，或<a href="/wallet/donate">捐给邻居和自治组织基金</a>。</p>`}
  </section>`;
}

/** @param {{ entry: any }} props */
function HistoryRow({ entry }) {
  const label = TRANSFER_LABELS[/** @type {keyof typeof TRANSFER_LABELS} */ (entry.transfer.code)] || entry.transfer.code;
  return html`<li class="history-row">
    <div class="history-main">
      <p class="history-title">${entry.transfer.reason || label}</p>
      <p class="muted">${label} · ${entry.direction === 'IN' ? '来自' : '给'} ${entry.counterpart.name}</p>
      <p class="muted"><time datetime=${entry.transfer.createdAt}>${formatDateTime(entry.transfer.createdAt)}</time></p>
    </div>
    <p class=${`amount ${entry.change > 0 ? 'in' : 'out'}`}>
      <span class="visually-hidden">${entry.change > 0 ? '收入' : '支出'}</span>${formatChange(entry.change)}
    </p>
  </li>`;
}

function Trend() {
  const from = useMemo(() => new Date(Date.now() - TREND_DAYS * 86_400_000).toISOString(), []);
  const trend = useQuery(WalletTrend, { from });
  const series = useMemo(() => {
    const wallet = trend.data?.me.wallet;
    return wallet ? dailyBalances(wallet.balance, wallet.history.edges.map((/** @type {any} */ e) => e.node), TREND_DAYS) : null;
  }, [trend.data]);
  return html`<section aria-labelledby="trend-title" class="card">
    <h2 id="trend-title">积分变化</h2>
    <${QueryState} query=${trend} lines=${2} />
    ${series && html`<${PointsChart} series=${series} />`}
  </section>`;
}

function VerifyEmailPrompt() {
  const [state, setState] = useState(/** @type {'idle' | 'busy' | 'sent' | string} */ ('idle'));
  const send = async () => {
    setState('busy');
    try {
      const data = await request(RequestEmailVerification);
      setState(data.requestEmailVerification.errors[0]?.message || 'sent');
    } catch (error) {
      setState(/** @type {any} */ (error).message);
    }
  };
  if (state === 'sent') return html`<${Notice}><p>确认邮件已发出，请打开邮件里的链接。</p><//>`;
  return html`<div class="card notice-card">
    <p>你的邮箱还没有确认。确认后可以用邮箱找回密码。</p>
    ${state !== 'idle' && state !== 'busy' && html`<p class="field-error" role="alert"><span aria-hidden="true">⚠ </span>${state}</p>`}
    <button type="button" class="button secondary" onClick=${send} disabled=${state === 'busy'}>发送确认邮件</button>
  </div>`;
}

export function Wallet() {
  const { query } = useLocation();
  const [after, setAfter] = useState(/** @type {string | null} */ (null));
  const [older, setOlder] = useState(/** @type {any[]} */ ([]));
  const wallet = useQuery(WalletDocument, { after }, [after]);
  const me = wallet.data?.me;
  const history = me?.wallet.history;
  const entries = after ? [...older, ...(history?.edges || [])] : history?.edges || [];
  return html`<${Page} title="我的钱包">
    ${query.get('welcome') && html`<${Notice}><p>欢迎加入邻里！参加志愿活动就能赚积分。</p><//>`}
    <${QueryState} query=${wallet} lines=${4} />
    ${me && html`
      <section class="balance card" aria-labelledby="balance-title">
        <h2 id="balance-title" class="balance-label">${me.displayName}的积分</h2>
        <p class="balance-value" data-testid="balance">${formatPoints(me.wallet.balance)}</p>
        <div class="actions">
          <a class="button primary" href="/rewards">去兑换</a>
          <a class="button secondary" href="/wallet/donate">捐赠积分</a>
        </div>
      </section>
      <${Lapsing} lots=${me.wallet.lots} />
      ${!me.emailVerified && html`<${VerifyEmailPrompt} />`}
      <${Trend} />
      <section aria-labelledby="history-title" class="card">
        <h2 id="history-title">积分明细 <span class="muted">（共 ${history.totalCount} 笔）</span></h2>
        ${entries.length === 0 && html`<p>还没有积分记录。<a href="/activities">去参加志愿活动</a></p>`}
        <ul class="history">${entries.map((/** @type {any} */ e) => html`<${HistoryRow} entry=${e.node} key=${e.node.transfer.id} />`)}</ul>
        ${history.pageInfo.hasNextPage && html`<button type="button" class="button secondary"
          onClick=${() => { setOlder(entries); setAfter(history.pageInfo.endCursor); }}>查看更早的记录</button>`}
      </section>
    `}
  <//>`;
}

export function Donate() {
  const groups = useQuery(Groups);
  const [form, set] = useForm({ to: 'resident', recipient: '', groupId: '', amount: '', reason: '' });
  const { run, busy, errors } = useMutation();
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  // One key per filled-in form: a retry after a lost answer cannot give twice.
  const [key, setKey] = useState(idempotencyKey());
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const amount = Number.parseInt(form.amount, 10);
    const common = { amount: Number.isFinite(amount) ? amount : 0, reason: form.reason || null, idempotencyKey: key };
    const payload = form.to === 'resident'
      ? await run(DonatePoints, { input: { ...common, recipient: form.recipient } }, 'donatePoints')
      : await run(DonateToGroup, { input: { ...common, groupId: form.groupId } }, 'donateToGroup');
    if (payload?.transfer) {
      setDone(`已捐出 ${formatPoints(payload.transfer.amount)}，谢谢你！`);
      setKey(idempotencyKey());
    }
  };
  const groupOptions = [['', '请选择'], ...(groups.data?.groups.edges || []).map((/** @type {any} */ { node: g }) => [g.id, `${g.name}（${g.community.name}）`])];
  return html`<${Page} title="捐赠积分" back="/wallet" backLabel="返回钱包">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <form onSubmit=${submit} novalidate>
      <${Field} label="捐给" name="to" value=${form.to} onInput=${set('to')}
        options=${[['resident', '邻居（居民）'], ['group', '居民自治组织的基金']]} />
      ${form.to === 'resident'
        ? html`<${Field} label="邻居的邮箱或手机号" name="recipient" value=${form.recipient} onInput=${set('recipient')}
            error=${errors.recipient} required />`
        : html`<${Field} label="自治组织" name="groupId" value=${form.groupId} onInput=${set('groupId')}
            options=${groupOptions} error=${errors.groupId} required />`}
      <${Field} label="积分数" name="amount" type="number" inputmode="numeric" min="1" value=${form.amount}
        onInput=${set('amount')} error=${errors.amount} required />
      <${Field} label="留言（可不填）" name="reason" value=${form.reason} onInput=${set('reason')} error=${errors.reason} />
      <${FormError} errors=${errors} fields=${['recipient', 'groupId', 'amount', 'reason']} />
      <${Submit} busy=${busy}>确认捐赠<//>
    </form>
  <//>`;
}
