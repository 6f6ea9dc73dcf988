// The one way the app talks to Linli: POST /graphql with a named document from ./operations.
//
// It keeps the access token fresh (rotating the refresh token before expiry, once per
// rotation even with several tabs open, because a refresh token presented twice ends every
// session of its family), and turns every failure into words for people: top-level errors by
// `extensions.code`, business rejections by the payload's `errors { field code message }`.
import { RefreshSession } from './operations/identity.js';
import { currentSession, storeSession } from './session.js';

/** Refresh this long before the access token expires, so a slow request still carries a valid one. */
const REFRESH_MARGIN_MS = 60_000;

/** Messages for top-level codes whose server text is not meant for residents. */
const TOP_LEVEL_MESSAGES = {
  UNAUTHENTICATED: '请先登录',
  FORBIDDEN: '你没有权限进行这项操作',
  NOT_FOUND: '没有找到这项内容',
  RATE_LIMITED: '操作太频繁，请稍后再试',
  SERVICE_UNAVAILABLE: '服务暂时不可用，请稍后再试',
  REQUEST_TIMEOUT: '服务器处理超时，请稍后再试',
  OUTCOME_UNKNOWN: '连接中断，操作可能已经完成，请刷新后查看',
  INTERNAL: '服务器出了点问题，请稍后再试',
  GRAPHQL_VALIDATION_FAILED: '应用版本已过期，请刷新页面',
  GRAPHQL_PARSE_FAILED: '应用版本已过期，请刷新页面',
  QUERY_TOO_COMPLEX: '请求过于复杂，请刷新页面后重试',
  NETWORK: '网络连接失败，请检查网络后重试',
};

/** A request that failed as a whole (not a business rejection). */
export class ApiError extends Error {
  /** @param {string} code @param {string} message @param {number} [retryAfter] */
  constructor(code, message, retryAfter) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * @typedef {{ field?: string[] | null, code: string, message: string }} UserError
 * @typedef {{ [field: string]: string }} FieldErrors  messages by input field; `_form` for the rest
 */

/**
 * The input field a business rejection is about: the API sends its path into the input
 * (`["input", "product", "title"]`), and the last segment is the field the form shows it next
 * to; a rejection of no one field (`null`) goes above the form.
 * @param {UserError} error
 * @returns {string}
 */
export function fieldOf(error) {
  const path = error.field;
  return path && path.length ? String(path[path.length - 1]) : '_form';
}

/** @param {UserError[] | undefined} errors @returns {FieldErrors} */
export function fieldErrors(errors) {
  /** @type {FieldErrors} */
  const byField = {};
  for (const error of errors || []) {
    const key = fieldOf(error);
    byField[key] = byField[key] ? `${byField[key]}；${error.message}` : error.message;
  }
  return byField;
}

/** @param {string} document */
function operationName(document) {
  const match = /^\s*(?:query|mutation)\s+(\w+)/m.exec(document);
  return match ? match[1] : undefined;
}

/** @type {Promise<void> | null} */
let refreshing = null;

/**
 * Trades the refresh token for a new session, at most once at a time across every tab. The
 * caller names the access token it found wanting: when another tab has replaced it meanwhile,
 * the new one is used as it is (rotating again would present a spent refresh token).
 * @param {string} staleToken
 */
function refresh(staleToken) {
  if (!refreshing) {
    const rotate = async () => {
      const before = currentSession();
      if (!before || before.accessToken !== staleToken) return;
      const body = await post(RefreshSession, { input: { refreshToken: before.refreshToken } }, null);
      storeSession(body?.data?.refreshSession?.session || null);
    };
    const run = navigator.locks ? navigator.locks.request('linli-refresh', rotate) : rotate();
    refreshing = Promise.resolve(run).finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** @param {string} at */
function expiresSoon(at) {
  return Date.parse(at) - Date.now() < REFRESH_MARGIN_MS;
}

/**
 * @param {string} document
 * @param {object} variables
 * @param {string | null} token
 * @returns {Promise<any>} the parsed body, with `status` added
 */
async function post(document, variables, token) {
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: document, operationName: operationName(document), variables }),
    });
  } catch {
    throw new ApiError('NETWORK', TOP_LEVEL_MESSAGES.NETWORK);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('INTERNAL', TOP_LEVEL_MESSAGES.INTERNAL);
  }
  body.status = response.status;
  body.retryAfter = Number(response.headers.get('Retry-After')) || undefined;
  return body;
}

/**
 * Sends one of the app's documents and returns `data`. A top-level error becomes an
 * `ApiError` with a message in words; business rejections stay in the payload for the form.
 * @param {string} document one export of ./operations
 * @param {object} [variables]
 * @returns {Promise<any>}
 */
export async function request(document, variables = {}) {
  let session = currentSession();
  if (session && expiresSoon(session.accessTokenExpiresAt)) {
    await refresh(session.accessToken);
    session = currentSession();
  }
  let body = await post(document, variables, session?.accessToken ?? null);
  // Refused although not expired by our clock: the server's clock or signing key differs.
  if (body.status === 401 && session) {
    await refresh(session.accessToken);
    session = currentSession();
    body = session ? await post(document, variables, session.accessToken) : body;
    if (body.status === 401) storeSession(null);
  }
  const first = body.errors?.[0];
  if (first && (!body.data || Object.values(body.data).every((v) => v === null))) {
    const code = first.extensions?.code || 'INTERNAL';
    if (code === 'UNAUTHENTICATED' && currentSession()) storeSession(null);
    throw new ApiError(code, messageFor(code, first.message), body.retryAfter);
  }
  return body.data;
}

/**
 * @param {string} code
 * @param {string} [serverMessage] the server's own words: Chinese for domain codes
 */
export function messageFor(code, serverMessage) {
  if (code in TOP_LEVEL_MESSAGES && !['RATE_LIMITED', 'FORBIDDEN', 'NOT_FOUND'].includes(code)) {
    return TOP_LEVEL_MESSAGES[/** @type {keyof typeof TOP_LEVEL_MESSAGES} */ (code)];
  }
  if (serverMessage && /[\u4e00-\u9fff]/.test(serverMessage)) return serverMessage;
  return TOP_LEVEL_MESSAGES[/** @type {keyof typeof TOP_LEVEL_MESSAGES} */ (code)] || '操作失败，请稍后再试';
}

/**
 * A fresh idempotency key for one balance-changing request (a retry reuses it). Built from
 * getRandomValues because randomUUID needs a secure context, and a district intranet may
 * serve Linli over plain http.
 */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
