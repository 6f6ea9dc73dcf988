// Reading a QR code with the camera, where the browser offers BarcodeDetector (Chrome on
// Android, WeChat's browser). Elsewhere the button is not shown and the code is typed.
import { html, useEffect, useRef, useState } from '../vendor/htm-preact-standalone-3.1.1.module.js';

export const canScan = typeof globalThis.BarcodeDetector === 'function' && !!navigator.mediaDevices?.getUserMedia;

/**
 * The camera view; calls `onText` with the first QR code's text it sees.
 * @param {{ onText: (text: string) => void, onClose: () => void }} props
 */
export function Scanner({ onText, onClose }) {
  const video = useRef(/** @type {HTMLVideoElement | null} */ (null));
  const [error, setError] = useState('');
  useEffect(() => {
    let stream;
    let live = true;
    const Detector = /** @type {any} */ (globalThis).BarcodeDetector;
    const detector = new Detector({ formats: ['qr_code'] });
    const look = async () => {
      if (!live || !video.current) return;
      try {
        const codes = await detector.detect(video.current);
        if (codes.length && live) { onText(codes[0].rawValue); return; }
      } catch { /* the frame was not ready yet */ }
      setTimeout(look, 250);
    };
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then((s) => {
      stream = s;
      if (video.current) { video.current.srcObject = s; video.current.play().then(look, look); }
    }, () => setError('无法打开摄像头，请在浏览器设置里允许使用摄像头，或直接输入号码。'));
    return () => { live = false; stream?.getTracks().forEach((/** @type {MediaStreamTrack} */ t) => t.stop()); };
  }, []);
  return html`<div class="scanner">
    ${error ? html`<p class="field-error" role="alert">${error}</p>` : html`<video ref=${video} muted playsinline aria-label="摄像头画面"></video>`}
    <button type="button" class="button secondary" onClick=${onClose}>关闭摄像头</button>
  </div>`;
}
