// The district at a glance: the console's dashboard. Filters (period, community, community
// type, category) live in the address, so a view can be bookmarked or sent to a colleague;
// each chart asks for its own figure, so the first answers draw while the rest are computed.
// Below the charts: the points liability over time, the cross-tab community × category (a
// cell opens its organisations) and the CSV exports of the same filter.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  DashboardFigure, ImpactByCommunityAndCategory, ImpactOrganisations, InsightChoices, InsightExportLinks, Liability,
} from '../operations/insight.js';
import { ChartFigure } from '../chart.js';
import { navigate, useLocation } from '../router.js';
import { formatPoints, periodBounds, periodOptions } from '../format.js';
import { Field, QueryState, useQuery } from '../ui.js';
import { ConsolePage } from './staff.js';

/** The figure a cross-tab cell shows, chosen above the table. */
const MEASURES = /** @type {const} */ ([
  ['serviceHours', '服务时长（小时）'], ['participants', '参与人次'], ['pointsEarned', '获得积分'],
  ['pointsRedeemed', '兑换积分'], ['activitiesHeld', '已完成活动'], ['productsPublished', '上架产品'],
  ['needsMatched', '已对接需求'], ['needsDelivered', '已交付需求'],
]);

/** @param {number} value */
function figure(value) {
  return Number.isInteger(value) ? value.toLocaleString('zh-CN') : value.toLocaleString('zh-CN', { maximumFractionDigits: 1 });
}

/**
 * The filter as the page's address holds it, and as the API takes it.
 * @param {URLSearchParams} query
 */
function readFilter(query) {
  const chosen = {
    period: query.get('period') || '', community: query.get('community') || '',
    type: query.get('type') || '', category: query.get('category') || '',
  };
  const { from, to } = periodBounds(chosen.period);
  const filter = {
    from, to, communityId: chosen.community || undefined,
    communityType: chosen.type || undefined, categoryId: chosen.category || undefined,
  };
  return { chosen, filter, key: JSON.stringify(filter) };
}

/** @param {{ chosen: Record<string, string>, choices: any }} props */
function Filters({ chosen, choices }) {
  const set = (/** @type {string} */ name) => (/** @type {string} */ value) => {
    const params = new URLSearchParams({ ...chosen, [name]: value });
    for (const [k, v] of [...params]) if (!v) params.delete(k);
    navigate(`/staff/dashboard${params.size ? `?${params}` : ''}`, { replace: true });
  };
  const communities = choices?.communities.nodes || [];
  const types = [...new Map(communities.map((/** @type {any} */ c) => [c.communityType, c.communityTypeLabel])).entries()];
  /** @type {Array<[string, string]>} */
  const categories = [['', '全部类别']];
  for (const top of choices?.categories || []) {
    categories.push([top.slug, top.nameZh]);
    for (const child of top.children) categories.push([child.slug, `　${child.nameZh}`]);
  }
  return html`<form class="card filters" aria-label="筛选" onSubmit=${(/** @type {Event} */ e) => e.preventDefault()}>
    <${Field} label="时间段" name="period" value=${chosen.period} onInput=${set('period')} options=${periodOptions()} />
    <${Field} label="社区" name="community" value=${chosen.community} onInput=${set('community')}
      options=${[['', '全部社区'], ...communities.map((/** @type {any} */ c) => [c.id, c.name])]} />
    <${Field} label="社区类型" name="type" value=${chosen.type} onInput=${set('type')}
      options=${[['', '全部类型'], ...types]} />
    <${Field} label="类别" name="category" value=${chosen.category} onInput=${set('category')} options=${categories} />
  </form>`;
}

/**
 * One dashboard figure in its own card: its own request, its own loading and error state.
 * @param {{ title: string, flag: string, filter: object, filterKey: string, draw: (data: any) => any }} props
 */
function FigureCard({ title, flag, filter, filterKey, draw }) {
  const query = useQuery(DashboardFigure, { filter, [flag]: true }, [filterKey]);
  return html`<section class="card dashboard-card" aria-label=${title}>
    <h2>${title}</h2>
    <${QueryState} query=${query} lines=${4} />
    ${query.data?.dashboard && draw(query.data.dashboard)}
  </section>`;
}

/** @param {any[]} rows @param {string} empty */
function nothing(rows, empty) {
  return rows.length ? null : html`<p class="muted">${empty}</p>`;
}

/** @param {{ filter: any, filterKey: string }} props */
function LiabilityCard({ filter, filterKey }) {
  const query = useQuery(Liability, { from: filter.from, to: filter.to }, [filterKey]);
  const months = query.data?.liability || [];
  const last = months[months.length - 1];
  return html`<section class="card dashboard-card wide" aria-label="积分负债">
    <h2>全区积分负债（月末）</h2>
    <p class="muted">按时间段统计，社区和类别筛选不适用：积分负债是全区账本的总数。</p>
    <${QueryState} query=${query} lines=${4} />
    ${last && html`<dl class="figures" aria-label="期末积分">
      <div><dt>累计发行</dt><dd data-testid="liability-issued">${formatPoints(last.issued)}</dd></div>
      <div><dt>居民钱包</dt><dd>${formatPoints(last.inWallets)}</dd></div>
      <div><dt>流通中</dt><dd>${formatPoints(last.outstanding)}</dd></div>
      <div><dt>兑换冻结</dt><dd>${formatPoints(last.held)}</dd></div>
      <div><dt>已兑换</dt><dd>${formatPoints(last.redeemed)}</dd></div>
      <div><dt>已过期</dt><dd>${formatPoints(last.expired)}</dd></div>
    </dl>`}
    ${months.length > 0 && html`<${ChartFigure} kind="line" tall labels=${months.map((/** @type {any} */ m) => m.month)}
      series=${[
        { name: '流通中', values: months.map((/** @type {any} */ m) => m.outstanding) },
        { name: '居民钱包', values: months.map((/** @type {any} */ m) => m.inWallets) },
        { name: '兑换冻结', values: months.map((/** @type {any} */ m) => m.held) },
        { name: '已兑换', values: months.map((/** @type {any} */ m) => m.redeemed) },
        { name: '已过期', values: months.map((/** @type {any} */ m) => m.expired) },
      ]}
      summary=${`${months[0].month} 至 ${last.month}：期末流通中 ${formatPoints(last.outstanding)}，其中居民钱包 ${formatPoints(last.inWallets)}`} />`}
  </section>`;
}

/** @param {{ filter: any, filterKey: string }} props */
function CrossTab({ filter, filterKey }) {
  const query = useQuery(ImpactByCommunityAndCategory, { filter }, [filterKey]);
  const [measure, setMeasure] = useState('serviceHours');
  const [open, setOpen] = useState(/** @type {{ community: any, category: any } | null} */ (null));
  const cells = query.data?.impactTable || [];
  // Rows and columns in the order of their totals, so the busiest corner is at the top left.
  const totals = (/** @type {string} */ key) => {
    const sums = new Map();
    for (const c of cells) sums.set(c[`${key}Id`], (sums.get(c[`${key}Id`]) || 0) + c.figures[measure]);
    const names = new Map(cells.map((/** @type {any} */ c) => [c[`${key}Id`], c[`${key}Name`] || '未指定']));
    return [...sums.entries()].sort((a, b) => b[1] - a[1]).map(([id, total]) => ({ id, name: names.get(id), total }));
  };
  const rows = totals('community');
  const columns = totals('category');
  const value = new Map(cells.map((/** @type {any} */ c) => [`${c.communityId}|${c.categoryId}`, c.figures[measure]]));
  const label = MEASURES.find(([key]) => key === measure)?.[1] || '';
  return html`<section class="card dashboard-card wide" aria-labelledby="crosstab-title">
    <h2 id="crosstab-title">社区 × 类别</h2>
    <p class="muted">点一个格子，看这个社区这一类别里的组织。</p>
    <${Field} label="显示" name="measure" value=${measure} onInput=${setMeasure} options=${MEASURES.map(([k, v]) => [k, v])} />
    <${QueryState} query=${query} lines=${5} />
    ${query.data && nothing(cells, '这个筛选下还没有数据。')}
    ${cells.length > 0 && html`<div class="table-scroll crosstab"><table class="sheet" data-testid="crosstab">
      <caption class="visually-hidden">${label}：每行一个社区，每列一个类别</caption>
      <thead><tr><th scope="col">社区</th>${columns.map((c) => html`<th scope="col" class="number" key=${c.id}>${c.name}</th>`)}
        <th scope="col" class="number">合计</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.id}>
        <th scope="row">${r.name}</th>
        ${columns.map((c) => {
          const v = value.get(`${r.id}|${c.id}`);
          const chosen = open?.community?.id === r.id && open?.category?.id === c.id;
          return html`<td class=${`number${chosen ? ' chosen' : ''}`} key=${c.id}>${v && !r.id ? figure(v) : v ? html`<button type="button" class="cell"
            aria-label=${`${r.name} · ${c.name}：${label} ${figure(v)}，查看组织`}
            onClick=${() => setOpen({ community: r, category: c })}>${figure(v)}</button>` : '—'}</td>`;
        })}
        <td class="number"><strong>${figure(r.total)}</strong></td>
      </tr>`)}</tbody>
    </table></div>`}
    ${open && html`<${CellOrganisations} filter=${filter} cell=${open} label=${label} measure=${measure} />`}
  </section>`;
}

/** @param {{ filter: any, cell: { community: any, category: any }, label: string, measure: string }} props */
function CellOrganisations({ filter, cell, label, measure }) {
  const narrowed = { ...filter, communityId: cell.community.id, categoryId: cell.category.id };
  const query = useQuery(ImpactOrganisations, { filter: narrowed }, [JSON.stringify(narrowed)]);
  // The three-way table repeats a community's organisations once per sub-category: add them up.
  const sums = new Map();
  for (const c of query.data?.impactTable || []) {
    const key = c.organisationId || '';
    const row = sums.get(key) || { name: c.organisationName || '（社区需求，无组织）', figures: {} };
    for (const [k] of MEASURES) row.figures[k] = (row.figures[k] || 0) + c.figures[k];
    sums.set(key, row);
  }
  const rows = [...sums.entries()].sort((a, b) => b[1].figures[measure] - a[1].figures[measure]);
  return html`<div class="card inset" aria-live="polite">
    <h3>${cell.community.name} · ${cell.category.name}</h3>
    <${QueryState} query=${query} lines=${3} />
    ${rows.length > 0 && html`<div class="table-scroll"><table class="sheet">
      <thead><tr><th scope="col">组织</th>${MEASURES.map(([k, v]) => html`<th scope="col" class="number" key=${k}
        aria-sort=${k === measure ? 'descending' : undefined}>${v}</th>`)}</tr></thead>
      <tbody>${rows.map(([id, row]) => html`<tr key=${id}>
        <td>${id ? html`<a href=${`/staff/directory/${id}`}>${row.name}</a>` : row.name}</td>
        ${MEASURES.map(([k]) => html`<td class="number" key=${k}>${figure(row.figures[k])}</td>`)}
      </tr>`)}</tbody>
    </table></div>`}
    <p class="visually-hidden">按${label}排序</p>
  </div>`;
}

const EXPORTS = /** @type {const} */ ([
  ['impactTable', '社区 × 类别 × 组织影响力表', 'impact-table.csv'],
  ['attendance', '各活动出席与服务时长', 'attendance.csv'],
  ['residentHours', '各居民服务时长', 'resident-hours.csv'],
  ['organisationBudgets', '各组织积分预算', 'organisation-budgets.csv'],
  ['auditTrail', '审计记录', 'audit-trail.csv'],
]);

/**
 * The filter's CSV downloads (signed links that work for a few minutes, asked for on open).
 * @param {{ filter: any, filterKey: string }} props
 */
function Exports({ filter, filterKey }) {
  const query = useQuery(InsightExportLinks, { filter }, [filterKey]);
  const links = query.data?.insightExports;
  return html`<section class="card dashboard-card wide" aria-labelledby="exports-title">
    <h2 id="exports-title">导出 CSV</h2>
    <p class="muted">按上面的筛选导出（UTF-8，可直接用 Excel 或 WPS 打开）；链接几分钟内有效，过期后刷新页面即可。</p>
    <${QueryState} query=${query} lines=${2} />
    ${links && html`<ul class="downloads">${EXPORTS.map(([key, label, file]) => html`<li key=${key}>
      <a class="button secondary" href=${links[key]} download=${file} data-testid=${`export-${key}`}>${label}</a>
    </li>`)}</ul>`}
  </section>`;
}

/** @param {Array<{ name: string }>} rows @param {number} most */
function top(rows, most) {
  return rows.slice(0, most);
}

export function DashboardScreen() {
  const { query } = useLocation();
  const { chosen, filter, key } = readFilter(query);
  const choices = useQuery(InsightChoices);
  const props = { filter, filterKey: key };
  return html`<${ConsolePage} section="dashboard" title="全区概览">
    <${QueryState} query=${choices} lines=${1} />
    <${Filters} chosen=${chosen} choices=${choices.data} />
    <div class="dashboard">
      <${FigureCard} ...${props} title="每月积分发放与兑换" flag="points" draw=${(/** @type {any} */ d) => html`
        ${nothing(d.pointsByMonth, '这个时间段还没有积分变动。')}
        ${d.pointsByMonth.length > 0 && html`<${ChartFigure} testid="chart-points" labels=${d.pointsByMonth.map((/** @type {any} */ m) => m.month)}
          series=${[
            { name: '发放', values: d.pointsByMonth.map((/** @type {any} */ m) => m.earned) },
            { name: '兑换', values: d.pointsByMonth.map((/** @type {any} */ m) => m.redeemed) },
          ]}
          summary=${`共发放 ${formatPoints(d.pointsByMonth.reduce((/** @type {number} */ s, /** @type {any} */ m) => s + m.earned, 0))}，兑换 ${formatPoints(d.pointsByMonth.reduce((/** @type {number} */ s, /** @type {any} */ m) => s + m.redeemed, 0))}`} />`}`} />
      <${FigureCard} ...${props} title="各社区志愿服务时长" flag="hours" draw=${(/** @type {any} */ d) => {
        const rows = top(d.hoursByCommunity.map((/** @type {any} */ c) => ({ ...c, name: c.communityName || '未指定社区' })), 12);
        return html`${nothing(rows, '这个筛选下还没有核验的服务时长。')}
          ${rows.length > 0 && html`<${ChartFigure} horizontal testid="chart-hours" labels=${rows.map((c) => c.name)}
            series=${[{ name: '服务时长（小时）', values: rows.map((/** @type {any} */ c) => c.hours) }]}
            summary=${`服务时长最多的是${rows[0].name}：${figure(/** @type {any} */ (rows[0]).hours)} 小时`} />`}`;
      }} />
      <${FigureCard} ...${props} title="各类别社创产品" flag="products" draw=${(/** @type {any} */ d) => {
        const rows = top(d.productsByCategory.map((/** @type {any} */ c) => ({ ...c, name: c.categoryName })), 12);
        return html`${nothing(rows, '这个筛选下还没有上架的产品。')}
          ${rows.length > 0 && html`<${ChartFigure} horizontal testid="chart-products" labels=${rows.map((c) => c.name)}
            series=${[{ name: '上架产品', values: rows.map((/** @type {any} */ c) => c.count) }]}
            summary=${`上架产品最多的类别是${rows[0].name}：${/** @type {any} */ (rows[0]).count} 个`} />`}`;
      }} />
      <${FigureCard} ...${props} title="各类别合作组织" flag="organisations" draw=${(/** @type {any} */ d) => {
        const rows = top(d.organisationsByCategory.map((/** @type {any} */ c) => ({ ...c, name: c.categoryName })), 12);
        return html`${nothing(rows, '这个筛选下还没有开展服务的组织。')}
          ${rows.length > 0 && html`<${ChartFigure} horizontal testid="chart-organisations" labels=${rows.map((c) => c.name)}
            series=${[{ name: '组织', values: rows.map((/** @type {any} */ c) => c.count) }]}
            summary=${`组织最多的类别是${rows[0].name}：${/** @type {any} */ (rows[0]).count} 家`} />`}`;
      }} />
      <${FigureCard} ...${props} title="各社区需求发布与解决" flag="needs" draw=${(/** @type {any} */ d) => {
        const rows = top(d.needsByCommunity.map((/** @type {any} */ c) => ({ ...c, name: c.communityName })), 12);
        return html`${nothing(rows, '这个筛选下还没有发布的需求。')}
          ${rows.length > 0 && html`<${ChartFigure} horizontal testid="chart-needs" labels=${rows.map((c) => c.name)}
            series=${[
              { name: '发布', values: rows.map((/** @type {any} */ c) => c.opened) },
              { name: '已对接', values: rows.map((/** @type {any} */ c) => c.matched) },
              { name: '已关闭', values: rows.map((/** @type {any} */ c) => c.closed) },
            ]}
            summary=${`需求最多的是${rows[0].name}：发布 ${/** @type {any} */ (rows[0]).opened} 项，已关闭 ${/** @type {any} */ (rows[0]).closed} 项`} />`}`;
      }} />
      <${FigureCard} ...${props} title="商家兑换排行" flag="merchants" draw=${(/** @type {any} */ d) => {
        const rows = top(d.merchantsByRedemptions.map((/** @type {any} */ m) => ({ ...m, name: m.shopName })), 12);
        return html`${nothing(rows, '这个筛选下还没有确认的兑换。')}
          ${rows.length > 0 && html`<${ChartFigure} horizontal testid="chart-merchants" labels=${rows.map((m) => m.name)}
            series=${[{ name: '兑换积分', values: rows.map((/** @type {any} */ m) => m.points) }]}
            summary=${`兑换积分最多的商家是${rows[0].name}：${formatPoints(/** @type {any} */ (rows[0]).points)}，${/** @type {any} */ (rows[0]).redemptions} 笔`} />`}`;
      }} />
      <${LiabilityCard} ...${props} />
      <${CrossTab} ...${props} />
      <${Exports} ...${props} />
    </div>
  <//>`;
}
