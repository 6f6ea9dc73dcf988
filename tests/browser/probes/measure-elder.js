// Run by WebDriver as a script body (arguments: minimum font px, minimum target px): visible
// text below the elder minimum and controls smaller than the elder target.
const shown = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
    && !el.closest('.visually-hidden') && !el.closest('[aria-hidden=true]');
};
const name = (el) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''} «${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 16)}»`;
const text = [];
for (const el of document.querySelectorAll('body *')) {
  if (!shown(el) || !Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const px = parseFloat(getComputedStyle(el).fontSize);
  if (px < arguments[0]) text.push(`${name(el)} ${px}px`);
}
const targets = [];
for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary, [role=button], [role=switch]')) {
  if (!shown(el)) continue;
  const r = el.getBoundingClientRect();
  if (r.width < arguments[1] - 0.5 || r.height < arguments[1] - 0.5) targets.push(`${name(el)} ${r.width.toFixed(0)}×${r.height.toFixed(0)}`);
}
return { text, targets };
