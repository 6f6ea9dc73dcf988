// QR codes drawn in the browser (the organiser's check-in screen) with the vendored uqr.
import { html } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { renderSVG } from '../vendor/uqr-0.1.3.mjs';

/**
 * An SVG QR image with a text alternative. `svg` may come from the API (a redemption's
 * `qrSvg`), otherwise it is drawn from `text`.
 * @param {{ text?: string, svg?: string | null, label: string }} props
 */
export function Qr({ text, svg, label }) {
  const markup = svg || (text ? renderSVG(text, { border: 2, ecc: 'M' }) : '');
  return html`<div class="qr" role="img" aria-label=${label} dangerouslySetInnerHTML=${{ __html: markup }}></div>`;
}
