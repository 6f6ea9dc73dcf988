// Real URLs per screen with the History API: links are ordinary <a href>, the back button
// works, and after each navigation focus moves to the new screen's heading for screen readers.
import { useEffect, useState } from '../vendor/htm-preact-standalone-3.1.1.module.js';

/** @type {Set<() => void>} */
const listeners = new Set();

function notify() {
  listeners.forEach((listener) => listener());
}

/** @param {string} to @param {{ replace?: boolean }} [options] */
export function navigate(to, options = {}) {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  scrollTo(0, 0);
  notify();
}

addEventListener('popstate', notify);

// Same-origin links navigate in the app; modified clicks (new tab) stay the browser's.
document.addEventListener('click', (event) => {
  const link = /** @type {Element} */ (event.target).closest?.('a[href]');
  if (!(link instanceof HTMLAnchorElement) || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});

/** @returns {{ path: string, query: URLSearchParams }} the current location, re-rendering on change */
export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => { listeners.delete(listener); };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/**
 * @template T
 * @param {Array<[string, T]>} routes patterns such as `/activities/:id`
 * @param {string} path
 * @returns {{ value: T, params: Record<string, string> } | null}
 */
export function match(routes, path) {
  const parts = path.replace(/\/+$/, '').split('/');
  for (const [pattern, value] of routes) {
    const want = pattern.replace(/\/+$/, '').split('/');
    if (want.length !== parts.length) continue;
    /** @type {Record<string, string>} */
    const params = {};
    const ok = want.every((segment, i) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(parts[i]);
        return parts[i] !== '';
      }
      return segment === parts[i];
    });
    if (ok) return { value, params };
  }
  return null;
}
