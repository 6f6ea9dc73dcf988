// Shared pieces of every screen: the page frame, loading states, fields that show their API
// error next to them, and the hooks that run the app's operations.
import {
  html, useCallback, useEffect, useRef, useState,
} from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { ApiError, fieldErrors, messageFor, request } from './api.js';

/** Loading states appear only after this long, so quick answers do not flash a skeleton. */
export const SLOW_MS = 200;

/**
 * A screen: its heading (focused after navigation, so a screen reader announces the screen)
 * and content.
 * `wide` is the staff console's page, which uses a desk's width.
 * @param {{ title: string, back?: string, backLabel?: string, children?: any, actions?: any, wide?: boolean }} props
 */
export function Page({ title, back, backLabel = '返回', children, actions, wide }) {
  const heading = useRef(/** @type {HTMLHeadingElement | null} */ (null));
  useEffect(() => {
    document.title = `${title} · 邻里`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return html`<main id="main" class=${wide ? 'page wide' : 'page'}>
    <div class="page-head">
      ${back && html`<a class="back" href=${back}><span aria-hidden="true">‹ </span>${backLabel}</a>`}
      <h1 ref=${heading} tabindex="-1">${title}</h1>
      ${actions}
    </div>
    ${children}
  </main>`;
}

/** A placeholder shaped like the content, announced to screen readers. @param {{ lines?: number }} props */
export function Skeleton({ lines = 3 }) {
  return html`<div class="skeleton" role="status" aria-live="polite">
    <span class="visually-hidden">正在加载…</span>
    ${Array.from({ length: lines }, (_, i) => html`<div class="skeleton-line" key=${i}></div>`)}
  </div>`;
}

/** @param {{ label?: string }} props */
export function Spinner({ label = '请稍候…' }) {
  return html`<span class="spinner" role="status"><span class="spinner-dot" aria-hidden="true"></span>${label}</span>`;
}

/**
 * A failure in words (never colour alone), with a retry where one makes sense.
 * @param {{ error: any, retry?: () => void }} props
 */
export function ErrorMessage({ error, retry }) {
  if (!error) return null;
  const text = error instanceof ApiError ? error.message : (typeof error === 'string' ? error : messageFor('INTERNAL'));
  return html`<div class="error-box" role="alert">
    <p><span aria-hidden="true">⚠ </span>${text}</p>
    ${retry && html`<button type="button" class="button secondary" onClick=${retry}>重试</button>`}
  </div>`;
}

/**
 * Runs a query when the screen opens and whenever `deps` change.
 * @param {string} document
 * @param {object} [variables]
 * @param {any[]} [deps]
 * @returns {{ data: any, error: any, loading: boolean, slow: boolean, reload: () => void }}
 */
export function useQuery(document, variables = {}, deps = []) {
  const [state, setState] = useState({ data: /** @type {any} */ (null), error: /** @type {any} */ (null), loading: true, slow: false });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null, slow: false }));
    const timer = setTimeout(() => live && setState((s) => ({ ...s, slow: s.loading })), SLOW_MS);
    request(document, variables).then(
      (data) => live && setState({ data, error: null, loading: false, slow: false }),
      (error) => live && setState({ data: null, error, loading: false, slow: false }),
    ).finally(() => clearTimeout(timer));
    return () => { live = false; clearTimeout(timer); };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * What a query screen shows before its data: the skeleton (only once it is slow), or the error.
 * @param {{ query: ReturnType<typeof useQuery>, lines?: number }} props
 */
export function QueryState({ query, lines }) {
  if (query.error) return html`<${ErrorMessage} error=${query.error} retry=${query.reload} />`;
  if (query.loading && query.slow) return html`<${Skeleton} lines=${lines} />`;
  return null;
}

/**
 * Runs a mutation and sorts its outcome for a form: the payload, or messages by field.
 * @returns {{ run: (document: string, variables: object, field: string) => Promise<any>, busy: boolean, errors: import('./api.js').FieldErrors }}
 */
export function useMutation() {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(/** @type {import('./api.js').FieldErrors} */ ({}));
  // Focus moves to the first field in error, so a screen reader reads its label and message
  // (errors about no field are announced by FormError's role="alert").
  useEffect(() => {
    const invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid instanceof HTMLElement) invalid.focus();
  }, [errors]);
  const run = useCallback(async (/** @type {string} */ document, /** @type {object} */ variables, /** @type {string} */ field) => {
    setBusy(true);
    setErrors({});
    try {
      const data = await request(document, variables);
      const payload = data?.[field];
      const found = fieldErrors(payload?.errors);
      setErrors(found);
      return Object.keys(found).length ? null : payload;
    } catch (error) {
      setErrors({ _form: error instanceof ApiError ? error.message : messageFor('INTERNAL') });
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, errors };
}

let fieldCount = 0;

/**
 * A labelled input whose API error sits under it, tied to it for screen readers.
 * @param {{ label: string, name: string, value: any, onInput: (value: string) => void, error?: string,
 *   type?: string, hint?: string, autocomplete?: string, inputmode?: string, required?: boolean,
 *   multiline?: boolean, options?: Array<[string, string]>, min?: string, maxlength?: number }} props
 */
export function Field(props) {
  const id = useRef(`field-${props.name}-${++fieldCount}`).current;
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  const common = {
    id, name: props.name, value: props.value ?? '', 'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': described, required: props.required,
    onInput: (/** @type {any} */ e) => props.onInput(e.currentTarget.value),
  };
  let control;
  if (props.options) {
    control = html`<select ...${common} onChange=${common.onInput}>
      ${props.options.map(([value, label]) => html`<option value=${value} key=${value}>${label}</option>`)}
    </select>`;
  } else if (props.multiline) {
    control = html`<textarea ...${common} rows="4" maxlength=${props.maxlength}></textarea>`;
  } else {
    control = html`<input ...${common} type=${props.type || 'text'} autocomplete=${props.autocomplete}
      inputmode=${props.inputmode} min=${props.min} maxlength=${props.maxlength} />`;
  }
  return html`<div class="field">
    <label for=${id}>${props.label}${props.required ? html`<span class="required"> (必填)</span>` : ''}</label>
    ${props.hint && html`<p class="hint" id=${`${id}-hint`}>${props.hint}</p>`}
    ${control}
    ${props.error && html`<p class="field-error" id=${`${id}-error`}><span aria-hidden="true">⚠ </span>${props.error}</p>`}
  </div>`;
}

/** The form-level message (errors not about one field). @param {{ errors: import('./api.js').FieldErrors, fields?: string[] }} props */
export function FormError({ errors, fields = [] }) {
  const rest = Object.entries(errors).filter(([key]) => !fields.includes(key)).map(([, message]) => message);
  if (!rest.length) return null;
  return html`<div class="error-box" role="alert">${rest.map((m) => html`<p key=${m}><span aria-hidden="true">⚠ </span>${m}</p>`)}</div>`;
}

/** @param {{ busy?: boolean, children: any, label?: string, kind?: string, disabled?: boolean }} props */
export function Submit({ busy, children, kind = 'primary', disabled }) {
  return html`<button type="submit" class=${`button ${kind}`} disabled=${busy || disabled} aria-busy=${busy ? 'true' : undefined}>
    ${busy ? html`<${Spinner} label="正在提交…" />` : children}
  </button>`;
}

/** A polite announcement for screen readers and a visible notice. @param {{ children: any }} props */
export function Notice({ children }) {
  return html`<div class="notice" role="status">${children}</div>`;
}

/**
 * A form's values as state, with a setter per field.
 * @template {Record<string, any>} T
 * @param {T} initial
 * @returns {[T, (name: keyof T) => (value: any) => void, (values: T) => void]}
 */
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const set = (/** @type {keyof T} */ name) => (/** @type {any} */ value) => setValues((v) => ({ ...v, [name]: value }));
  return [values, set, setValues];
}

/** @param {any} event */
export function prevent(event) {
  event.preventDefault();
}
