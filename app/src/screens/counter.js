// The merchant counter: confirm a resident's code typed by hand, typed by a USB or Bluetooth
// scanner (it "types" the QR's text `linli:redeem:CODE` and Enter into the focused field), or
// read by the camera; today's confirmations; the monthly statement with its CSV; rewards.
import { html, useEffect, useRef, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  ConfirmRedemption, ConfirmedToday, CreateReward, MerchantRewards, MerchantStatement, SetRewardStatus,
} from '../operations/rewards.js';
import { request } from '../api.js';
import {
  currentMonth, formatDateTime, formatPoints, formatTime, formatYuan, recentMonths, SETTLEMENT_STATUS,
} from '../format.js';
import { canScan, Scanner } from '../scan.js';
import {
  ErrorMessage, Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** @param {{ merchant: string, current: string }} props */
function CounterNav({ merchant, current }) {
  const links = [['', '核销'], ['/statement', '对账单'], ['/rewards', '商品与库存']];
  return html`<nav class="sub-nav" aria-label="商家柜台">
    ${links.map(([path, label]) => html`<a key=${path} href=${`/counter/${merchant}${path}`} aria-current=${current === path ? 'page' : undefined}>${label}</a>`)}
    <a href="/me">我的</a>
  </nav>`;
}

/** @param {{ merchant: string }} props */
export function Counter({ merchant }) {
  const [form, set, setForm] = useForm({ code: '' });
  const [scanning, setScanning] = useState(false);
  const [confirmed, setConfirmed] = useState(/** @type {any} */ (null));
  const { run, busy, errors } = useMutation();
  const input = useRef(/** @type {HTMLDivElement | null} */ (null));
  const today = useQuery(ConfirmedToday, { merchantId: merchant }, [merchant, confirmed?.id]);
  const confirm = async (/** @type {Event | null} */ event, /** @type {string} */ text = form.code) => {
    if (event) prevent(event);
    setConfirmed(null);
    // A scanner sends the QR's whole text (`linli:redeem:CODE`): the API takes it as it is.
    const code = text.trim();
    const payload = await run(ConfirmRedemption, { input: { merchantId: merchant, code } }, 'confirmRedemption');
    setForm({ code: '' });
    if (payload?.redemption) setConfirmed(payload.redemption);
    // Ready for the next customer's scan.
    input.current?.querySelector('input')?.focus();
  };
  // A scanner types into whatever has focus: keep it on the code field from the start, after
  // the page has moved focus to its heading.
  useEffect(() => { input.current?.querySelector('input')?.focus(); }, []);
  const done = today.data?.node?.confirmedToday.nodes || [];
  return html`<${Page} title="柜台核销">
    <${CounterNav} merchant=${merchant} current="" />
    <form onSubmit=${confirm} novalidate class="card" ref=${input}>
      <${Field} label="兑换码" name="code" value=${form.code} onInput=${set('code')} autocomplete="off"
        hint="输入居民出示的 8 位兑换码；扫码枪扫描二维码会自动填入并提交。" error=${errors.code} required />
      <${FormError} errors=${errors} fields=${['code']} />
      <div class="actions">
        <${Submit} busy=${busy}>确认核销<//>
        ${canScan && !scanning && html`<button type="button" class="button secondary" onClick=${() => setScanning(true)}>用摄像头扫码</button>`}
      </div>
    </form>
    ${scanning && html`<${Scanner} onClose=${() => setScanning(false)}
      onText=${(/** @type {string} */ text) => { setScanning(false); confirm(null, text); }} />`}
    ${confirmed && html`<${Notice}><p class="status-banner ok" data-testid="confirmed">✓ 核销成功：${confirmed.rewardTitle}，${formatPoints(confirmed.points)}</p><//>`}
    <section class="card" aria-labelledby="today-title">
      <h2 id="today-title">今天已核销（${today.data?.node?.confirmedToday.totalCount ?? 0} 笔）</h2>
      <${QueryState} query=${today} lines=${2} />
      <ul class="plain">${done.map((/** @type {any} */ r) => html`<li key=${r.id}>${formatTime(r.finishedAt)} · ${r.rewardTitle} · ${formatPoints(r.points)}</li>`)}</ul>
    </section>
  <//>`;
}

/** @param {{ merchant: string }} props */
export function CounterStatement({ merchant }) {
  const [month, setMonth] = useState(currentMonth());
  const statement = useQuery(MerchantStatement, { merchantId: merchant, month }, [merchant, month]);
  const [downloadError, setDownloadError] = useState('');
  const data = statement.data?.merchantStatement;
  // The API signs a download link for five minutes; a fresh one is asked for on each press,
  // so a statement left open for an hour still downloads.
  const download = async () => {
    setDownloadError('');
    try {
      const fresh = await request(MerchantStatement, { merchantId: merchant, month });
      window.location.assign(fresh.merchantStatement.csvUrl);
    } catch {
      setDownloadError('下载失败，请稍后再试。');
    }
  };
  return html`<${Page} title="月度对账单">
    <${CounterNav} merchant=${merchant} current="/statement" />
    <${Field} label="月份" name="month" value=${month} onInput=${setMonth} options=${recentMonths(12)} />
    <${QueryState} query=${statement} lines=${4} />
    ${data && html`<section class="card">
      <h2>${data.merchant.shopName} · ${data.month}</h2>
      <p>共核销 <strong>${data.redemptions}</strong> 笔，合计 <strong>${formatPoints(data.totalPoints)}</strong></p>
      <p class=${data.settlement ? '' : 'muted'} data-testid="settlement">${data.settlement
        ? html`已结算 ${formatYuan(data.settlement.amountYuan)} · <span class=${`tag${data.settlement.status === 'PAID' ? ' ok' : ' waitlist'}`}>${SETTLEMENT_STATUS[/** @type {keyof typeof SETTLEMENT_STATUS} */ (data.settlement.status)]}</span>${data.settlement.paidReference ? `（付款凭证 ${data.settlement.paidReference}）` : ''}`
        : '本月尚未结算：月份结束后由社创中心结算，结算后对账单不再变动。'}</p>
      <ul class="plain">${data.perReward.map((/** @type {any} */ r) => html`<li key=${r.title}>${r.title}：${r.redemptions} 笔，${formatPoints(r.points)}</li>`)}</ul>
      <button type="button" class="button primary" onClick=${download}>下载 CSV 对账单</button>
      ${downloadError && html`<p class="field-error" role="alert">${downloadError}</p>`}
      <h3>明细</h3>
      <ul class="plain">${data.lines.map((/** @type {any} */ l) => html`<li key=${l.redemptionId}>${formatDateTime(l.confirmedAt)} · ${l.rewardTitle} · ${formatPoints(l.points)}</li>`)}</ul>
    </section>`}
  <//>`;
}

/** @param {{ merchant: string }} props */
export function CounterRewards({ merchant }) {
  const rewards = useQuery(MerchantRewards, { merchantId: merchant }, [merchant]);
  const [form, set, setForm] = useForm({ title: '', description: '', pointsPrice: '', stock: '' });
  const { run, busy, errors } = useMutation();
  const pause = useMutation();
  const [created, setCreated] = useState('');
  const create = async (/** @type {Event} */ event) => {
    prevent(event);
    const input = {
      merchantId: merchant, title: form.title, description: form.description,
      pointsPrice: Number.parseInt(form.pointsPrice, 10) || 0, stock: form.stock ? Number.parseInt(form.stock, 10) : null,
    };
    const payload = await run(CreateReward, { input }, 'createReward');
    if (payload?.reward) {
      setCreated(payload.reward.title);
      setForm({ title: '', description: '', pointsPrice: '', stock: '' });
      rewards.reload();
    }
  };
  const setStatus = async (/** @type {any} */ reward, /** @type {string} */ status) => {
    if (await pause.run(SetRewardStatus, { input: { rewardId: reward.id, status } }, 'setRewardStatus')) rewards.reload();
  };
  return html`<${Page} title="商品与库存">
    <${CounterNav} merchant=${merchant} current="/rewards" />
    <${QueryState} query=${rewards} lines=${3} />
    <${ErrorMessage} error=${pause.errors._form} />
    <ul class="cards">${(rewards.data?.node?.allRewards.edges || []).map((/** @type {any} */ { node }) => html`<li class="card" key=${node.id}>
      <h2>${node.title}</h2>
      <p>${formatPoints(node.pointsPrice)} · ${node.stock == null ? '库存不限' : `库存 ${node.stock}`}${node.status === 'PAUSED' ? ' · 已暂停' : ''}</p>
      ${node.status === 'PAUSED'
        ? html`<button type="button" class="button primary" onClick=${() => setStatus(node, 'ACTIVE')} disabled=${pause.busy}
            aria-label=${`恢复兑换 ${node.title}`}>恢复兑换</button>`
        : html`<button type="button" class="button secondary" onClick=${() => setStatus(node, 'PAUSED')} disabled=${pause.busy}
            aria-label=${`暂停兑换 ${node.title}`}>暂停兑换</button>`}
    </li>`)}</ul>
    <section class="card" aria-labelledby="new-reward">
      <h2 id="new-reward">上架新的兑换商品</h2>
      ${created && html`<${Notice}><p>“${created}”已上架。</p><//>`}
      <form onSubmit=${create} novalidate>
        <${Field} label="名称" name="title" value=${form.title} onInput=${set('title')} error=${errors.title} required />
        <${Field} label="说明" name="description" multiline value=${form.description} onInput=${set('description')} error=${errors.description} required />
        <${Field} label="所需积分" name="pointsPrice" type="number" inputmode="numeric" value=${form.pointsPrice} onInput=${set('pointsPrice')} error=${errors.pointsPrice} required />
        <${Field} label="库存（不填为不限）" name="stock" type="number" inputmode="numeric" value=${form.stock} onInput=${set('stock')} error=${errors.stock} />
        <${FormError} errors=${errors} fields=${['title', 'description', 'pointsPrice', 'stock']} />
        <${Submit} busy=${busy}>上架<//>
      </form>
    </section>
  <//>`;
}
