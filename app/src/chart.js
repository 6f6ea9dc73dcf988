// Charts: the wallet's points over time and the console's dashboard. Chart.js is large next to
// the rest of the app, so it is loaded only when a chart is drawn, never on the first screen.
// Every chart carries its summary in words and, on the dashboard, its figures as a table.
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

/**
 * Draws the chart `config` makes on the canvas once Chart.js has loaded, again whenever `key`
 * changes, and takes it down when the screen goes (or a newer one is drawn).
 * @param {() => object} config
 * @param {any} key
 * @returns {{ current: HTMLCanvasElement | null }} the canvas to draw on
 */
function useChart(config, key) {
  const canvas = useRef(/** @type {HTMLCanvasElement | null} */ (null));
  useEffect(() => {
    let chart;
    let live = true;
    loadChart().then((Chart) => {
      if (live && canvas.current && Chart) chart = new Chart(canvas.current, config());
    }, () => {});
    return () => { live = false; chart?.destroy(); };
  }, [key]);
  return canvas;
}

/** @param {{ series: Array<{ at: number, balance: number }> }} props */
export function PointsChart({ series }) {
  const canvas = useChart(() => {
    const styles = getComputedStyle(document.documentElement);
    return {
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
    };
  }, series);
  const first = series[0]?.balance ?? 0;
  const last = series[series.length - 1]?.balance ?? 0;
  const summary = `近 ${series.length} 天积分从 ${first} 变为 ${last}`;
  return html`<figure class="chart">
    <div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${summary}></canvas></div>
    <figcaption>${summary}</figcaption>
  </figure>`;
}

/** The app's palette for series, read from its colours so charts follow the theme. */
function seriesColours() {
  const styles = getComputedStyle(document.documentElement);
  const colour = (/** @type {string} */ name) => styles.getPropertyValue(name).trim();
  return [colour('--primary'), colour('--focus'), colour('--ok'), colour('--warn'), colour('--muted')];
}

/**
 * A bar or line chart of a few series over labels, with the figures behind it as a table a
 * screen reader (or a staff member copying numbers) can read.
 * @param {{ kind?: 'bar' | 'line', labels: string[], series: Array<{ name: string, values: number[] }>,
 *   summary: string, horizontal?: boolean, stacked?: boolean, tall?: boolean, testid?: string }} props
 */
export function ChartFigure({ kind = 'bar', labels, series, summary, horizontal, stacked, tall, testid }) {
  const canvas = useChart(() => {
    const colours = seriesColours();
    const text = getComputedStyle(document.documentElement).getPropertyValue('--text').trim();
    const value = { beginAtZero: true, stacked, ticks: { precision: 0, color: text } };
    const category = { stacked, ticks: { color: text, autoSkip: !horizontal }, grid: { display: false } };
    return {
      type: kind,
      data: {
        labels,
        datasets: series.map((s, i) => ({
          label: s.name, data: s.values, borderColor: colours[i % colours.length],
          backgroundColor: kind === 'line' ? 'transparent' : colours[i % colours.length],
          pointRadius: kind === 'line' ? 2 : 0, tension: 0.2, borderWidth: kind === 'line' ? 3 : 0,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: horizontal ? 'y' : 'x',
        plugins: { legend: { display: series.length > 1, labels: { color: text } }, tooltip: { enabled: true } },
        scales: horizontal ? { x: value, y: category } : { x: category, y: value },
      },
    };
  }, JSON.stringify([kind, labels, series, horizontal, stacked]));
  return html`<figure class="chart" data-testid=${testid}>
    <div class="chart-box" data-height=${tall ? 'tall' : undefined}>
      <canvas ref=${canvas} role="img" aria-label=${summary}></canvas>
    </div>
    <figcaption>${summary}</figcaption>
    <details class="chart-data">
      <summary>查看数据</summary>
      <div class="table-scroll"><table class="sheet">
        <thead><tr><th scope="col"></th>${series.map((s) => html`<th scope="col" class="number" key=${s.name}>${s.name}</th>`)}</tr></thead>
        <tbody>${labels.map((label, row) => html`<tr key=${label}>
          <th scope="row">${label}</th>
          ${series.map((s) => html`<td class="number" key=${s.name}>${s.values[row]}</td>`)}
        </tr>`)}</tbody>
      </table></div>
    </details>
  </figure>`;
}
