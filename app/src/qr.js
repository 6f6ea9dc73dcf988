// QR codes as the API draws them (`Redemption.qrSvg`, `CheckInCode.qrSvg`), so the payload a
// scanner reads is fixed in one place, the server.
import { html } from '../vendor/htm-preact-standalone-3.1.1.module.js';

/**
 * An SVG QR image from the API, with a text alternative.
 * @param {{ svg: string | null | undefined, label: string }} props
 */
export function Qr({ svg, label }) {
  return html`<div class="qr" role="img" aria-label=${label} dangerouslySetInnerHTML=${{ __html: svg || '' }}></div>`;
}
