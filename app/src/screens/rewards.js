// Rewards from alliance merchants: redeem, show the counter code full-screen as a QR with
// the code under it and the time left, and see the merchant's confirmation arrive.
//
// Real time is polling, chosen once for the whole app: while the code screen is shown it
// asks for the resident's redemptions every 2.5 s and stops as soon as the redemption is no
// longer pending or the screen closes. One small query per resident at the counter costs the
// server less than holding a connection open, and works through every proxy.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  CancelRedemption, MyRedemptions, RedeemReward, Redemption as RedemptionDocument, RenewRedemption, Rewards as RewardsDocument,
} from '../operations/rewards.js';
import { idempotencyKey, request } from '../api.js';
import { currentSession } from '../session.js';
import { navigate } from '../router.js';
import { formatCountdown, formatDateTime, formatPoints, REDEMPTION_STATUS } from '../format.js';
import { Qr } from '../qr.js';
import { FormError, Page, QueryState, useMutation, useQuery } from '../ui.js';

export const POLL_MS = 2500;

/** @param {{ reward: any, balance: number | null }} props */
function RewardCard({ reward, balance }) {
  const { run, busy, errors } = useMutation();
  const [key] = useState(idempotencyKey());
  const redeem = async () => {
    if (!currentSession()) { navigate('/signin?next=/rewards'); return; }
    const payload = await run(RedeemReward, { input: { rewardId: reward.id, idempotencyKey: key } }, 'redeemReward');
    if (payload?.redemption) navigate(`/redemptions/${payload.redemption.id}`);
  };
  const short = balance !== null && balance < reward.pointsPrice;
  return html`<li class="card">
    <h2>${reward.title}</h2>
    <p>${reward.description}</p>
    <p class="muted">${reward.merchant.shopName} · ${reward.merchant.address}</p>
    <p class="muted">营业时间：${reward.merchant.openingHours}</p>
    <p class="price">${formatPoints(reward.pointsPrice)}${reward.stock != null ? html` <span class="muted">· 剩 ${reward.stock} 份</span>` : ''}</p>
    <${FormError} errors=${errors} />
    ${short && html`<p class="hint">你的积分还差 ${reward.pointsPrice - /** @type {number} */ (balance)}。</p>`}
    <button type="button" class="button primary" onClick=${redeem} disabled=${busy || short}
      aria-label=${`兑换 ${reward.title}`}>兑换</button>
  </li>`;
}

function Pending() {
  const mine = useQuery(MyRedemptions);
  const pending = (mine.data?.myRedemptions.edges || []).map((/** @type {any} */ e) => e.node).filter((/** @type {any} */ r) => r.status === 'PENDING');
  if (!pending.length) return null;
  return html`<section class="card" aria-labelledby="pending-title">
    <h2 id="pending-title">待使用的兑换码</h2>
    <ul class="plain">${pending.map((/** @type {any} */ r) => html`<li key=${r.id}>
      <a href=${`/redemptions/${r.id}`}>${r.rewardTitle}（${formatDateTime(r.expiresAt)} 前有效）</a></li>`)}</ul>
  </section>`;
}

export function Rewards() {
  const signedIn = !!currentSession();
  const list = useQuery(RewardsDocument, { signedIn }, [signedIn]);
  const balance = list.data?.me?.wallet.balance ?? null;
  return html`<${Page} title="积分兑换">
    ${signedIn && html`<${Pending} />`}
    ${balance !== null && html`<p class="lead">你有 <strong>${formatPoints(balance)}</strong></p>`}
    <${QueryState} query=${list} lines=${5} />
    <ul class="cards">
      ${(list.data?.rewards.edges || []).map((/** @type {any} */ { node }) => html`<${RewardCard} key=${node.id} reward=${node} balance=${balance} />`)}
    </ul>
  <//>`;
}

/** @param {{ id: string }} props */
export function RedemptionScreen({ id }) {
  const [redemption, setRedemption] = useState(/** @type {any} */ (null));
  const [error, setError] = useState(/** @type {any} */ (null));
  const [now, setNow] = useState(Date.now());
  const { run, busy, errors } = useMutation();

  // Poll while pending; stop when it is confirmed, cancelled or expired, or the screen closes.
  const status = redemption?.status;
  useEffect(() => {
    if (status && status !== 'PENDING') return undefined;
    let live = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const poll = async () => {
      try {
        const found = (await request(RedemptionDocument, { id })).node;
        if (!live) return;
        setError(found ? null : '没有找到这个兑换码。');
        if (found) setRedemption((/** @type {any} */ old) => ({ ...found, code: found.code || old?.code, qrSvg: found.qrSvg || old?.qrSvg }));
        if (found && found.status !== 'PENDING') return;
      } catch (e) {
        if (live) setError(e);
      }
      if (live) timer = setTimeout(poll, POLL_MS);
    };
    poll();
    return () => { live = false; clearTimeout(timer); };
  }, [id, status]);

  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  const cancel = async () => {
    const payload = await run(CancelRedemption, { input: { redemptionId: id } }, 'cancelRedemption');
    if (payload?.redemption) setRedemption(payload.redemption);
  };
  // The counter code's 30 minutes are not an essential limit: one tap renews them (a fresh
  // code, the same held points); once it has run out, one tap redeems the reward again.
  const renew = async () => {
    const payload = await run(RenewRedemption, { input: { redemptionId: id } }, 'renewRedemption');
    if (payload?.redemption) setRedemption(payload.redemption);
  };
  const redeemAgain = async () => {
    const payload = await run(RedeemReward, { input: { rewardId: redemption.reward.id, idempotencyKey: idempotencyKey() } }, 'redeemReward');
    if (payload?.redemption) navigate(`/redemptions/${payload.redemption.id}`, { replace: true });
  };

  const left = redemption ? (Date.parse(redemption.expiresAt) - now) / 1000 : 0;
  const label = REDEMPTION_STATUS[/** @type {keyof typeof REDEMPTION_STATUS} */ (status)] || '';
  return html`<${Page} title=${redemption?.rewardTitle || '兑换码'} back="/rewards" backLabel="返回兑换">
    ${!redemption && !error && html`<${QueryState} query=${{ loading: true, slow: true, error: null, data: null, reload: () => {} }} lines=${4} />`}
    ${error && html`<div class="error-box" role="alert"><p>${typeof error === 'string' ? error : error.message}</p></div>`}
    ${redemption && html`<section class="redemption" aria-live="polite" data-status=${status}>
      <p class=${`status-banner ${status === 'CONFIRMED' ? 'ok' : ''}`} data-testid="redemption-status">
        ${status === 'CONFIRMED' ? `✓ 商家已确认，兑换成功！用去 ${formatPoints(redemption.points)}` : `${label} · ${formatPoints(redemption.points)}`}
      </p>
      ${status === 'PENDING' && redemption.code && html`
        <p>请向店员出示二维码，或报出下面的兑换码。</p>
        <${Qr} svg=${redemption.qrSvg} label=${`兑换码 ${redemption.code} 的二维码`} />
        <p class="counter-code" data-testid="redemption-code" aria-label=${`兑换码 ${redemption.code.split('').join(' ')}`}>${redemption.code}</p>
        <p class="countdown" role="timer" aria-live="off">剩余时间 ${formatCountdown(left)}</p>
        <p class="hint">到时未使用，积分自动退回。</p>
      `}
      <${FormError} errors=${errors} />
      <div class="actions">
        ${status === 'PENDING' && html`<button type="button" class="button secondary" onClick=${renew} disabled=${busy}>时间不够？一键换新码</button>`}
        ${status === 'PENDING' && html`<button type="button" class="button secondary" onClick=${cancel} disabled=${busy}>取消兑换，退回积分</button>`}
        ${status === 'EXPIRED' && html`<button type="button" class="button primary" onClick=${redeemAgain} disabled=${busy}>重新兑换</button>`}
        ${status !== 'PENDING' && html`<a class="button secondary" href="/wallet">查看钱包</a>`}
      </div>
    </section>`}
  <//>`;
}
