// How residents read numbers and times: China Standard Time, 积分 with thousands separators,
// 元 with two decimals.

const ZONE = 'Asia/Shanghai';

const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: ZONE, month: 'long', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false,
});
const dateOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, year: 'numeric', month: 'long', day: 'numeric' });
const shortDate = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, month: 'numeric', day: 'numeric' });
const timeOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false });
const number = new Intl.NumberFormat('zh-CN');

/** @param {string | number | Date} at e.g. "6月3日周二 14:00" */
export function formatDateTime(at) {
  return dateTime.format(new Date(at));
}

/** @param {string | number | Date} at e.g. "2026年6月3日" */
export function formatDate(at) {
  return dateOnly.format(new Date(at));
}

/** @param {string | number | Date} at e.g. "6/3" */
export function formatShortDate(at) {
  return shortDate.format(new Date(at));
}

/** @param {string | number | Date} at e.g. "14:00" */
export function formatTime(at) {
  return timeOnly.format(new Date(at));
}

/** @param {string | number | Date} from @param {string | number | Date} until */
export function formatRange(from, until) {
  const sameDay = formatDate(from) === formatDate(until);
  return sameDay ? `${formatDateTime(from)}–${formatTime(until)}` : `${formatDateTime(from)} 至 ${formatDateTime(until)}`;
}

/** @param {number} points e.g. "1,280 积分" */
export function formatPoints(points) {
  return `${number.format(points)} 积分`;
}

/** @param {number} change signed, e.g. "+30" or "−12" (a real minus sign for screen readers) */
export function formatChange(change) {
  return change > 0 ? `+${number.format(change)}` : `−${number.format(-change)}`;
}

/** @param {string | null | undefined} yuan the API's decimal string, e.g. "25.00" → "25.00 元" */
export function formatYuan(yuan) {
  if (yuan == null) return '';
  const value = Number(yuan);
  return Number.isFinite(value) ? `${value.toFixed(2)} 元` : `${yuan} 元`;
}

/** @param {number} minutes e.g. "2 小时 30 分钟" */
export function formatMinutes(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest} 分钟`;
  return rest ? `${hours} 小时 ${rest} 分钟` : `${hours} 小时`;
}

/** @param {number} seconds e.g. "29:05" for a countdown */
export function formatCountdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The current month in China Standard Time, `YYYY-MM`, as the statements API wants it. */
export function currentMonth() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  const get = (/** @type {string} */ type) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}`;
}

/**
 * The last `count` months in China Standard Time, newest first, as options for a picker:
 * [`YYYY-MM`, "2026年6月"]. A list reads the same on every phone, unlike a month input.
 * @param {number} count
 * @returns {Array<[string, string]>}
 */
export function recentMonths(count) {
  const [year, month] = currentMonth().split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const index = year * 12 + (month - 1) - i;
    const y = Math.floor(index / 12);
    const m = (index % 12) + 1;
    return [`${y}-${String(m).padStart(2, '0')}`, `${y}年${m}月`];
  });
}

/**
 * The next `count` days in China Standard Time as options: [`YYYY-MM-DD`, "今天 6月3日周二"].
 * @param {number} count
 * @returns {Array<[string, string]>}
 */
export function upcomingDays(count) {
  const names = ['今天', '明天', '后天'];
  const dayLabel = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, month: 'long', day: 'numeric', weekday: 'short' });
  const key = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.now() + i * 86_400_000);
    return [key.format(at), `${names[i] ? `${names[i]} ` : ''}${dayLabel.format(at)}`];
  });
}

/**
 * A `datetime-local` input's value (read as China Standard Time, whatever the device's zone)
 * as an RFC 3339 instant for the API.
 * @param {string} local e.g. "2026-06-03T14:00"
 */
export function fromLocalInput(local) {
  return local ? new Date(`${local}:00+08:00`).toISOString() : '';
}

/** @param {Date} at @returns {string} the `datetime-local` value of `at` in China Standard Time */
export function toLocalInput(at) {
  const shifted = new Date(at.getTime() + 8 * 3600_000);
  return shifted.toISOString().slice(0, 16);
}

export const TRANSFER_LABELS = {
  EARN: '志愿服务', ALLOCATE_BUDGET: '预算拨付', REDEEM_HOLD: '兑换冻结', REDEEM_CAPTURE: '兑换完成',
  REDEEM_RELEASE: '兑换退回', DONATE: '积分捐赠', EXPIRE: '积分过期', REVERSE: '冲正', ADJUST: '调整',
  SETTLE: '商家结算', BOOK_HOLD: '预约冻结', BOOK_CAPTURE: '预约完成', BOOK_RELEASE: '预约退回',
  REVIEW_HOLD: '复核冻结', REVIEW_RELEASE: '复核解冻',
};

export const PRICE_TIERS = { FREE: '公益', LOW_COST: '低偿', MARKET: '市场' };

export const PRODUCT_STATUS = {
  DRAFT: '草稿', IN_REVIEW: '审核中', PUBLISHED: '已发布', REJECTED: '已退回', RETIRED: '已下架',
};

export const BOOKING_STATUS = {
  REQUESTED: '待确认', ACCEPTED: '已确认', DELIVERED: '已完成', DECLINED: '已婉拒', CANCELLED: '已取消', LAPSED: '已过期',
};
export const SETTLEMENT_STATUS = { CLOSED: '待复核', APPROVED: '待付款', PAID: '已付款' };
export const REDEMPTION_STATUS = { PENDING: '待核销', CONFIRMED: '已核销', CANCELLED: '已取消', EXPIRED: '已过期' };

/**
 * The periods a staff member picks from, newest first: everything, the last 12 months, the
 * last three calendar years and the last 12 months one by one (China Standard Time).
 * @returns {Array<[string, string]>}
 */
export function periodOptions() {
  const year = Number(currentMonth().slice(0, 4));
  /** @type {Array<[string, string]>} */
  const options = [['', '全部时间'], ['last12', '近 12 个月']];
  for (let y = year; y > year - 3; y--) options.push([`Y${y}`, `${y} 年`]);
  for (const [value, label] of recentMonths(12)) options.push([`M${value}`, label]);
  return options;
}

/** @param {number} y @param {number} m 1–12, may run past 12 */
function monthStart(y, m) {
  const index = y * 12 + (m - 1);
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01T00:00:00+08:00`;
}

/**
 * The instants a period value stands for: [from, to) in China Standard Time.
 * @param {string} period
 * @returns {{ from?: string, to?: string }}
 */
export function periodBounds(period) {
  const [year, month] = currentMonth().split('-').map(Number);
  if (period === 'last12') return { from: monthStart(year, month - 11) };
  if (period.startsWith('Y')) {
    const y = Number(period.slice(1));
    return { from: monthStart(y, 1), to: monthStart(y + 1, 1) };
  }
  if (period.startsWith('M')) {
    const [y, m] = period.slice(1).split('-').map(Number);
    return { from: monthStart(y, m), to: monthStart(y, m + 1) };
  }
  return {};
}
