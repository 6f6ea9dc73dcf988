// The signed-in session, kept in localStorage so it survives a reload, shared by every tab.
// Listeners re-render the app when it changes (sign-in, rotation, sign-out, another tab).

const KEY = 'linli.session';

/**
 * @typedef {{ id: string, displayName: string, role: string }} SessionUser
 * @typedef {{
 *   accessToken: string, accessTokenExpiresAt: string,
 *   refreshToken: string, refreshTokenExpiresAt: string,
 *   user: SessionUser,
 * }} Session
 */

/** @type {Set<() => void>} */
const listeners = new Set();

/** @returns {Session | null} */
export function currentSession() {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? /** @type {Session} */ (JSON.parse(raw)) : null;
  } catch {
    return null;
  }
}

/** @param {Session | null} session */
export function storeSession(session) {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  listeners.forEach((listener) => listener());
}

/** @param {() => void} listener @returns {() => void} */
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signed in, rotated the refresh token or signed out.
addEventListener('storage', (event) => {
  if (event.key === KEY) listeners.forEach((listener) => listener());
});
