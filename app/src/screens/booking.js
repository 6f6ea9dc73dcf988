// Booking community services: the booking panel on a product, the resident's bookings, and the
// organisation's bookings with the steps it takes (accept, decline, delivered) and the terms
// it opens its products to booking with.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  AcceptBooking, BookProduct, CancelBooking, DeclineBooking, MarkBookingDelivered, MyBookings,
  OrganisationBookings, ProductBooking, SetBookingTerms,
} from '../operations/booking.js';
import { idempotencyKey } from '../api.js';
import { currentSession } from '../session.js';
import { BOOKING_STATUS, formatDate, formatPoints, formatYuan, upcomingDays } from '../format.js';
import {
  Field, FormError, Notice, Page, QueryState, Submit, useForm, useMutation, useQuery, prevent,
} from '../ui.js';

/** What a booking costs, as the resident reads it. @param {any} booking */
function cost(booking) {
  const parts = [];
  if (booking.priceYuan) parts.push(`${formatYuan(booking.priceYuan)}（到店支付）`);
  if (booking.points > 0) parts.push(formatPoints(booking.points));
  return parts.length ? parts.join(' + ') : '免费';
}

/** @param {{ booking: any }} props */
function StatusTag({ booking }) {
  const open = booking.status === 'REQUESTED' || booking.status === 'ACCEPTED';
  return html`<span class=${`tag${open ? ' waitlist' : booking.status === 'DELIVERED' ? ' ok' : ''}`}>${BOOKING_STATUS[/** @type {keyof typeof BOOKING_STATUS} */ (booking.status)] || booking.status}</span>`;
}

/** The booking panel of a product open to booking. @param {{ productId: string }} props */
export function BookingPanel({ productId }) {
  const [form, set] = useForm({ day: upcomingDays(1)[0][0], note: '' });
  const terms = useQuery(ProductBooking, { id: productId, day: form.day }, [productId, form.day]);
  const { run, busy, errors } = useMutation();
  const [booked, setBooked] = useState(/** @type {any} */ (null));
  // One key per filled-in form: a retry after a lost answer cannot book twice.
  const [key, setKey] = useState(idempotencyKey());
  const node = terms.data?.node;
  if (!node?.bookingTerms?.open) return null;
  const seats = node.seatsLeft;
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const payload = await run(BookProduct, { input: { productId, day: form.day, note: form.note || null, idempotencyKey: key } }, 'bookProduct');
    if (payload?.booking) {
      setBooked(payload.booking);
      setKey(idempotencyKey());
      terms.reload();
    }
  };
  const days = upcomingDays(node.bookingTerms.daysAhead + 1);
  return html`<section class="card" aria-labelledby="book-title">
    <h2 id="book-title">预约</h2>
    ${booked && html`<${Notice}><p>已预约 ${booked.day}：${booked.status === 'ACCEPTED' ? '预约已确认' : '等待服务方确认'}。<a href="/bookings">查看我的预约</a></p><//>`}
    ${currentSession()
      ? html`<form onSubmit=${submit} novalidate>
          <${Field} label="日期" name="day" value=${form.day} onInput=${set('day')} options=${days} error=${errors.day} />
          <p class="muted" role="status">${seats === null ? '名额不限' : seats > 0 ? `当天还剩 ${seats} 个名额` : '当天已约满，请选择其他日期'}</p>
          <${Field} label="备注（可不填）" name="note" value=${form.note} onInput=${set('note')} error=${errors.note} maxlength=${200} />
          <${FormError} errors=${errors} fields=${['day', 'note']} />
          <${Submit} busy=${busy} disabled=${seats === 0}>确认预约<//>
        </form>`
      : html`<p><a class="button primary" href="/signin">登录后预约</a></p>`}
  </section>`;
}

export function MyBookingsScreen() {
  const list = useQuery(MyBookings);
  const { run, busy, errors } = useMutation();
  const cancel = async (/** @type {any} */ booking) => {
    if (await run(CancelBooking, { input: { bookingId: booking.id } }, 'cancelBooking')) list.reload();
  };
  const edges = list.data?.myBookings.edges || [];
  return html`<${Page} title="我的预约" back="/me" backLabel="我的">
    <${FormError} errors=${errors} />
    <${QueryState} query=${list} lines=${4} />
    ${list.data && edges.length === 0 && html`<p>还没有预约。<a href="/catalogue">去发现社区服务</a></p>`}
    <ul class="cards">${edges.map((/** @type {any} */ { node: b }) => html`<li class="card" key=${b.id}>
      <h2><a href=${`/catalogue/${b.product.id}`}>${b.product.title}</a> <${StatusTag} booking=${b} /></h2>
      <p>${formatDate(`${b.day}T12:00:00+08:00`)} · ${cost(b)}</p>
      <p class="muted">${b.organisation.name}（联系：${b.organisation.contact}）</p>
      ${b.reason && html`<p class="review-note"><strong>婉拒原因：</strong>${b.reason}</p>`}
      ${(b.status === 'REQUESTED' || b.status === 'ACCEPTED') && html`<button type="button" class="button secondary"
        onClick=${() => cancel(b)} disabled=${busy}>取消预约</button>`}
    </li>`)}</ul>
  <//>`;
}

/** @param {{ product: any, reload: () => void }} props */
function TermsForm({ product, reload }) {
  const t = product.bookingTerms;
  const [form, set] = useForm({ seats: t?.seatsPerDay ? String(t.seatsPerDay) : '', days: String(t?.daysAhead ?? 14), open: t?.open ? 'yes' : 'no' });
  const { run, busy, errors } = useMutation();
  const [saved, setSaved] = useState(false);
  const submit = async (/** @type {Event} */ event) => {
    prevent(event);
    const seats = Number.parseInt(form.seats, 10);
    const input = {
      productId: product.id, seatsPerDay: Number.isFinite(seats) ? seats : null,
      daysAhead: Number.parseInt(form.days, 10) || 0, open: form.open === 'yes',
    };
    if (await run(SetBookingTerms, { input }, 'setBookingTerms')) {
      setSaved(true);
      reload();
    }
  };
  return html`<form class="card" onSubmit=${submit} novalidate aria-label=${`${product.title}的预约设置`}>
    <h3>${product.title}</h3>
    ${saved && html`<p class="muted" role="status">已保存</p>`}
    <${Field} label="接受预约" name="open" value=${form.open} onInput=${set('open')} options=${[['yes', '接受'], ['no', '暂停']]} />
    <${Field} label="每天名额（不填为不限）" name="seatsPerDay" type="number" inputmode="numeric" min="1" value=${form.seats} onInput=${set('seats')} error=${errors.seatsPerDay} />
    <${Field} label="可提前预约天数" name="daysAhead" type="number" inputmode="numeric" min="1" value=${form.days} onInput=${set('days')} error=${errors.daysAhead} />
    <${FormError} errors=${errors} fields=${['seatsPerDay', 'daysAhead']} />
    <${Submit} busy=${busy} kind="secondary">保存预约设置<//>
  </form>`;
}

/** @param {{ org: string }} props */
export function OrganisationBookingsScreen({ org }) {
  const list = useQuery(OrganisationBookings, { id: org }, [org]);
  const { run, busy, errors } = useMutation();
  const [declining, setDeclining] = useState(/** @type {string | null} */ (null));
  const [reason, setReason] = useState('');
  const node = list.data?.node;
  const step = async (/** @type {string} */ document, /** @type {string} */ field, /** @type {object} */ input) => {
    if (await run(document, { input }, field)) {
      setDeclining(null);
      setReason('');
      list.reload();
    }
  };
  return html`<${Page} title="服务预约" back=${`/org/${org}`} backLabel="组织管理">
    <${FormError} errors=${errors} fields=${['reason']} />
    <${QueryState} query=${list} lines=${4} />
    ${node && html`
      <section aria-labelledby="bookings-title">
        <h2 id="bookings-title">居民的预约（共 ${node.bookings.totalCount} 个）</h2>
        ${node.bookings.edges.length === 0 && html`<p>还没有预约。在下面为已发布的产品开放预约。</p>`}
        <ul class="cards">${node.bookings.edges.map((/** @type {any} */ { node: b }) => html`<li class="card" key=${b.id}>
          <h3>${b.product.title} <${StatusTag} booking=${b} /></h3>
          <p>${formatDate(`${b.day}T12:00:00+08:00`)} · ${cost(b)}</p>
          ${b.note && html`<p class="muted">备注：${b.note}</p>`}
          ${b.reason && html`<p class="review-note"><strong>婉拒原因：</strong>${b.reason}</p>`}
          <div class="actions">
            ${b.status === 'REQUESTED' && html`<button type="button" class="button primary" disabled=${busy}
              onClick=${() => step(AcceptBooking, 'acceptBooking', { bookingId: b.id })}>确认预约</button>`}
            ${b.status === 'ACCEPTED' && html`<button type="button" class="button primary" disabled=${busy}
              onClick=${() => step(MarkBookingDelivered, 'markBookingDelivered', { bookingId: b.id })}>服务已完成</button>`}
            ${(b.status === 'REQUESTED' || b.status === 'ACCEPTED') && declining !== b.id && html`<button type="button"
              class="button secondary" onClick=${() => setDeclining(b.id)}>婉拒</button>`}
          </div>
          ${declining === b.id && html`<form onSubmit=${(/** @type {Event} */ e) => { prevent(e); step(DeclineBooking, 'declineBooking', { bookingId: b.id, reason }); }} novalidate>
            <${Field} label="婉拒原因（居民会看到）" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} required />
            <${Submit} busy=${busy} kind="secondary">确认婉拒<//>
          </form>`}
        </li>`)}</ul>
      </section>
      <section aria-labelledby="terms-title">
        <h2 id="terms-title">预约设置</h2>
        ${node.products.edges.length === 0 && html`<p>产品发布后，可以在这里开放预约。</p>`}
        ${node.products.edges.map((/** @type {any} */ { node: p }) => html`<${TermsForm} key=${p.id} product=${p} reload=${list.reload} />`)}
      </section>
    `}
  <//>`;
}
