// The wallet's points-over-time chart. Chart.js is large next to the rest of the app, so it
// is loaded only when the chart is drawn, never on the first screen.
import { html, useEffect, useRef } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { formatShortDate } from './format.js';

const CHART_URL = '/vendor/chart-4.6.1.umd.min.js';

/** @returns {Promise<any>} the Chart constructor (the UMD build sets it on the global object) */
async function loadChart() {
  await import(CHART_URL);
  return /** @type {any} */ (globalThis).Chart;
}

/**
 * The balance at the end of each of the last `days` days, rebuilt backwards from today's
 * balance and the changes since.
 * @param {number} balance
 * @param {Array<{ change: number, transfer: { createdAt: string } }>} entries newest first
 * @param {number} days
 */
export function dailyBalances(balance, entries, days) {
  const dayMs = 86_400_000;
  const end = Date.now();
  const points = [];
  let running = balance;
  let next = 0;
  for (let day = 0; day < days; day++) {
    const at = end - day * dayMs;
    while (next < entries.length && Date.parse(entries[next].transfer.createdAt) > at) {
      running -= entries[next].change;
      next++;
    }
    points.push({ at, balance: running });
  }
  return points.reverse();
}

/** @param {{ series: Array<{ at: number, balance: number }> }} props */
export function PointsChart({ series }) {
  const canvas = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  useEffect(() => {
    let chart;
    let live = true;
    loadChart().then((Chart) => {
      if (!live || !canvas.current || !Chart) return;
      const styles = getComputedStyle(document.documentElement);
      chart = new Chart(canvas.current, {
        type: 'line',
        data: {
          labels: series.map((p) => formatShortDate(p.at)),
          datasets: [{
            data: series.map((p) => p.balance), borderColor: styles.getPropertyValue('--primary').trim(),
            backgroundColor: 'transparent', pointRadius: 0, tension: 0.2, borderWidth: 3,
          }],
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { display: false }, tooltip: { enabled: true } },
          scales: {
            x: { ticks: { maxTicksLimit: 4, color: styles.getPropertyValue('--text').trim() }, grid: { display: false } },
            y: { beginAtZero: true, ticks: { maxTicksLimit: 4, precision: 0, color: styles.getPropertyValue('--text').trim() } },
          },
        },
      });
    }, () => {});
    return () => { live = false; chart?.destroy(); };
  }, [series]);
  const first = series[0]?.balance ?? 0;
  const last = series[series.length - 1]?.balance ?? 0;
  const summary = `近 ${series.length} 天积分从 ${first} 变为 ${last}`;
  return html`<figure class="chart">
    <div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${summary}></canvas></div>
    <figcaption>${summary}</figcaption>
  </figure>`;
}
