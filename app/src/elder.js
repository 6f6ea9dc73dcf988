// 长辈版 (elder mode), after MIIT's ageing-friendly design rules for mobile apps (2021): larger
// type (≥ 18 pt), more line spacing, 60 × 60 targets. Remembered on the device; the class on
// <html> switches the CSS variables in styles.css.

const KEY = 'linli.elder';

/** @type {Set<() => void>} */
const listeners = new Set();

export function elderMode() {
  return localStorage.getItem(KEY) === 'on';
}

/** @param {boolean} on */
export function setElderMode(on) {
  localStorage.setItem(KEY, on ? 'on' : 'off');
  apply();
  listeners.forEach((listener) => listener());
}

/** @param {() => void} listener */
export function onElderModeChange(listener) {
  listeners.add(listener);
  return () => { listeners.delete(listener); };
}

export function apply() {
  document.documentElement.classList.toggle('elder', elderMode());
}
