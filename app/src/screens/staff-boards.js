// The console's two boards. Incubation: self-governance groups in columns by stage, each card
// with its gate (criteria met and missing), mentor and last decision, and advance / hold /
// dissolve with a note. Matching: the needs in hand, overdue first, with their candidates
// (scores and reasons), the proposal, delivery and closing, and who acted when.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import {
  CloseNeed, DecideGroupStage, DeliverMatch, IncubationBoard, MatchCandidates, MatchingBoard, NeedDetail, ProposeMatch,
} from '../operations/staff.js';
import { formatDate, formatDateTime } from '../format.js';
import {
  Field, FormError, Notice, QueryState, Submit, prevent, useMutation, useQuery,
} from '../ui.js';
import { ConsolePage } from './staff.js';

const STAGES = [
  ['PROPOSED', '意向'], ['INCUBATING', '培育'], ['GROWING', '成长'], ['GRADUATED', '成熟'], ['DISSOLVED', '解散'],
];
const DECISIONS = { ADVANCED: '晋级', HOLD: '暂缓', DISSOLVED: '解散', FOUNDED: '成立', MENTOR: '指定导师', REGISTERED: '注册为组织' };


/** @param {{ group: any, onDone: (message: string) => void }} props */
function GroupDecision({ group, onDone }) {
  const { run, busy, errors } = useMutation();
  const [note, setNote] = useState('');
  const allMet = group.criteria.every((/** @type {any} */ c) => c.met);
  const decide = async (/** @type {'ADVANCE' | 'HOLD' | 'DISSOLVE'} */ decision) => {
    const data = await run(DecideGroupStage, { input: { groupId: group.id, decision, note } }, 'decideGroupStage');
    if (data) onDone(`“${group.name}”：${decision === 'ADVANCE' ? `已晋级为${data.group.stageLabel}` : decision === 'HOLD' ? '暂缓，留在本阶段' : '已解散'}。`);
  };
  return html`<div class="decision">
    <${Field} label=${`决定说明（${group.name}）`} name="note" value=${note} onInput=${setNote} error=${errors.note}
      hint="会显示在组织的公开历程上" />
    <${FormError} errors=${errors} fields=${['note']} />
    <div class="actions compact">
      <button type="button" class="button primary" disabled=${busy || !allMet} onClick=${() => decide('ADVANCE')}
        aria-label=${`晋级 ${group.name}`}>晋级</button>
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => decide('HOLD')}
        aria-label=${`暂缓 ${group.name}`}>暂缓</button>
      <button type="button" class="button secondary" disabled=${busy} onClick=${() => decide('DISSOLVE')}
        aria-label=${`解散 ${group.name}`}>解散</button>
    </div>
    ${!allMet && html`<p class="muted">条件未全部达到，暂不能晋级。</p>`}
  </div>`;
}

/** @param {{ group: any, onDone: (message: string) => void }} props */
function GroupCard({ group, onDone }) {
  const [open, setOpen] = useState(false);
  const last = group.lastDecision;
  const decidable = ['PROPOSED', 'INCUBATING', 'GROWING'].includes(group.stage);
  const missing = group.criteria.filter((/** @type {any} */ c) => !c.met).length;
  return html`<li class="board-card" data-testid=${`group-${group.name}`}>
    <h3>${group.name}</h3>
    <p class="muted">${group.community.name} · ${group.category.nameZh}</p>
    <p class="muted">导师：${group.mentor?.name || '未指定'}</p>
    ${group.criteria.length > 0 && html`<ul class="criteria" aria-label="晋级条件">
      ${group.criteria.map((/** @type {any} */ c) => html`<li key=${c.name} class=${c.met ? 'met' : 'missing'}>
        <span aria-hidden="true">${c.met ? '✓' : '✗'} </span>${c.name} ${c.actual}/${c.required}
        <span class="criterion-state">${c.met ? '已达到' : '未达到'}</span>
      </li>`)}
    </ul>`}
    ${decidable && group.criteria.length > 0 && html`<p class=${`tag ${missing ? 'waitlist' : 'ok'}`}>${missing ? `还差 ${missing} 项` : '条件已全部达到'}</p>`}
    <p class="muted last-decision">${last
      ? html`最近决定：${DECISIONS[/** @type {keyof typeof DECISIONS} */ (last.kind)] || last.kind}（${formatDate(last.createdAt)}）${last.note ? `：${last.note}` : ''}`
      : '尚无决定'}</p>
    ${decidable && html`<button type="button" class="button secondary small" aria-expanded=${open ? 'true' : 'false'}
      aria-label=${`作出决定 ${group.name}`} onClick=${() => setOpen(!open)}>${open ? '收起' : '作出决定'}</button>`}
    ${open && html`<${GroupDecision} group=${group} onDone=${onDone} />`}
  </li>`;
}

export function IncubationBoardScreen() {
  const board = useQuery(IncubationBoard);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  // A column per stage (`groups(filter: { stage })`, aliased by stage in lower case).
  const groups = board.data ? STAGES.flatMap(([stage]) => board.data[stage.toLowerCase()].nodes) : [];
  return html`<${ConsolePage} section="incubation" title="孵化看板">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${board} lines=${5} />
    ${board.data && html`<div class="board" role="list" aria-label="各阶段的自治组织">
      ${STAGES.map(([stage, label]) => {
        const column = groups.filter((/** @type {any} */ g) => g.stage === stage);
        return html`<section class="board-column" role="listitem" key=${stage} aria-labelledby=${`stage-${stage}`}>
          <h2 id=${`stage-${stage}`}>${label} <span class="count">${column.length}</span></h2>
          <ul class="board-cards">${column.map((/** @type {any} */ g) => html`<${GroupCard} key=${g.id} group=${g}
            onDone=${(/** @type {string} */ m) => { setDone(m); board.reload(); }} />`)}</ul>
          ${!column.length && html`<p class="muted">暂无</p>`}
        </section>`;
      })}
    </div>`}
  <//>`;
}

const URGENCY = { HIGH: '紧急', MEDIUM: '较急', LOW: '一般' };
const NEED_STATUS = { OPEN: '待对接', MATCHING: '等待回复', MATCHED: '已接受', DELIVERED: '已交付', CLOSED: '已关闭', WITHDRAWN: '已撤回' };
const MATCH_STATUS = { PROPOSED: '等待对方回复', ACCEPTED: '对方已接受', DECLINED: '对方已婉拒', DELIVERED: '已交付' };
const CANDIDATE_KINDS = { PRODUCT: '社创产品', ORGANISATION: '组织', GROUP: '自治组织' };

/** How long ago, in days or hours. @param {string} at */
function age(at) {
  const hours = Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 3_600_000));
  return hours >= 48 ? `${Math.floor(hours / 24)} 天` : `${hours} 小时`;
}

/**
 * Past its wanted-by date without a match (the server's clock says), or past its SLA while
 * still unmatched (open or waiting for an answer), as the server escalates. @param {any} need
 */
function isOverdue(need) {
  const unmatched = need.status === 'OPEN' || need.status === 'MATCHING';
  return need.overdue || (unmatched && Date.parse(need.slaDueAt) < Date.now());
}

/** Overdue first, then the soonest due. @param {any[]} needs */
function overdueFirst(needs) {
  const due = (/** @type {any} */ n) => Date.parse(n.slaDueAt);
  return [...needs].sort((a, b) => Number(isOverdue(b)) - Number(isOverdue(a)) || due(a) - due(b));
}

/** @param {{ need: any, proposed: string[], onDone: (message: string) => void }} props */
function Candidates({ need, proposed, onDone }) {
  const candidates = useQuery(MatchCandidates, { needId: need.id }, [need.id]);
  const { run, busy, errors } = useMutation();
  const propose = async (/** @type {any} */ candidate) => {
    if (await run(ProposeMatch, { input: { needId: need.id, candidateId: candidate.id } }, 'proposeMatch')) {
      onDone(`已向“${candidate.name}”推荐这项需求，等待对方回复。`);
    }
  };
  const list = candidates.data?.matchCandidates || [];
  return html`<section aria-labelledby="candidates-title">
    <h3 id="candidates-title">推荐对象</h3>
    <${QueryState} query=${candidates} lines=${3} />
    <${FormError} errors=${errors} />
    ${candidates.data && !list.length && html`<p class="muted">没有找到合适的对象。</p>`}
    ${list.length > 0 && html`<ul class="candidates">${list.map((/** @type {any} */ c) => html`<li key=${c.id} class="candidate">
      <div class="candidate-head">
        <p><strong>${c.name}</strong> <span class="muted">${CANDIDATE_KINDS[/** @type {keyof typeof CANDIDATE_KINDS} */ (c.kind)]}</span></p>
        <p class="score">匹配度 ${c.score}</p>
        ${proposed.includes(c.id) ? html`<p class="muted">已推荐</p>` : html`<button type="button" class="button secondary small"
          disabled=${busy} onClick=${() => propose(c)} aria-label=${`推荐 ${c.name}`}>推荐</button>`}
      </div>
      <p class="muted">${c.reasons.join('；')}</p>
    </li>`)}</ul>`}
  </section>`;
}

/** @param {{ match: any, onDone: (message: string) => void }} props */
function Deliver({ match, onDone }) {
  const { run, busy, errors } = useMutation();
  const [served, setServed] = useState('');
  const [outcome, setOutcome] = useState('');
  const submit = async (/** @type {any} */ event) => {
    prevent(event);
    const input = { matchId: match.id, residentsServed: Number(served), outcome };
    if (await run(DeliverMatch, { input }, 'deliverMatch')) onDone('已记录交付。');
  };
  return html`<form class="card inset" onSubmit=${submit} noValidate>
    <h4>记录交付</h4>
    <${Field} label="服务居民人数" name="residentsServed" type="number" inputmode="numeric" min="0" value=${served}
      onInput=${setServed} error=${errors.residentsServed} required />
    <${Field} label="交付成果" name="outcome" value=${outcome} onInput=${setOutcome} error=${errors.outcome} required multiline />
    <${FormError} errors=${errors} fields=${['residentsServed', 'outcome']} />
    <${Submit} busy=${busy}>记录交付<//>
  </form>`;
}

/** @param {{ id: string, onChanged: () => void }} props */
function NeedPanel({ id, onChanged }) {
  const need = useQuery(NeedDetail, { id }, [id]);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const close = useMutation();
  const n = need.data?.node;
  const matches = n?.matches.nodes || [];
  const changed = (/** @type {string} */ message) => { setDone(message); need.reload(); onChanged(); };
  const closeNeed = async () => {
    if (await close.run(CloseNeed, { input: { needId: id } }, 'closeNeed')) changed('需求已关闭。');
  };
  if (!n) return html`<${QueryState} query=${need} lines=${5} />`;
  return html`<div class="need-panel">
    <h2>${n.title}</h2>
    <p><span class="tag">${NEED_STATUS[/** @type {keyof typeof NEED_STATUS} */ (n.status)]}</span>
      ${isOverdue(n) && html` <span class="tag overdue">已超时</span>`}</p>
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <dl class="facts">
      <dt>社区</dt><dd>${n.community.name}</dd>
      <dt>类别</dt><dd>${n.category.nameZh}</dd>
      <dt>紧急程度</dt><dd>${URGENCY[/** @type {keyof typeof URGENCY} */ (n.urgency)]}</dd>
      ${n.postedBy && html`<dt>发布人</dt><dd>${n.postedBy.displayName}</dd>`}
      <dt>发布时间</dt><dd><time datetime=${n.createdAt}>${formatDateTime(n.createdAt)}</time>（已等待 ${age(n.createdAt)}）</dd>
      <dt>期望完成</dt><dd><time datetime=${n.wantedBy}>${formatDate(n.wantedBy)}</time></dd>
      <dt>响应时限</dt><dd><time datetime=${n.slaDueAt}>${formatDateTime(n.slaDueAt)}</time></dd>
      ${n.escalatedTo && html`<dt>已升级至</dt><dd>${n.escalatedTo.displayName}${n.escalatedAt ? `（${formatDateTime(n.escalatedAt)}）` : ''}</dd>`}
      ${n.outcome && html`<dt>交付成果</dt><dd>${n.outcome}（服务 ${n.residentsServed} 位居民）</dd>`}
    </dl>
    <p class="description">${n.description}</p>
    ${matches.length > 0 && html`<section aria-labelledby="matches-title">
      <h3 id="matches-title">已推荐</h3>
      <ul class="plain">${matches.map((/** @type {any} */ m) => html`<li key=${m.id} class="match">
        <p><strong>${m.candidateName}</strong> <span class="muted">${CANDIDATE_KINDS[/** @type {keyof typeof CANDIDATE_KINDS} */ (m.kind)]}</span>
          · 匹配度 ${m.score} · <span data-testid="match-status">${MATCH_STATUS[/** @type {keyof typeof MATCH_STATUS} */ (m.status)]}</span></p>
        ${m.status === 'ACCEPTED' && n.status === 'MATCHED' && html`<${Deliver} match=${m} onDone=${changed} />`}
      </li>`)}</ul>
    </section>`}
    ${n.status === 'DELIVERED' && html`<div class="actions">
      <button type="button" class="button primary" disabled=${close.busy} onClick=${closeNeed}>关闭需求</button>
    </div>
    <${FormError} errors=${close.errors} />`}
    ${(n.status === 'OPEN' || n.status === 'MATCHING') && html`<${Candidates} need=${n} onDone=${changed}
      proposed=${matches.filter((/** @type {any} */ m) => m.status !== 'DECLINED').map((/** @type {any} */ m) => m.candidateId)} />`}
    ${n.steps.length > 0 && html`<section aria-labelledby="steps-title">
      <h3 id="steps-title">进展</h3>
      <ol class="timeline">${n.steps.map((/** @type {any} */ s, /** @type {number} */ i) => html`<li key=${i}>
        <p><strong>${s.label}</strong><span class="muted"> · ${s.actor?.displayName || '系统'} · <time datetime=${s.at}>${formatDateTime(s.at)}</time></span></p>
        ${s.note && html`<p class="muted detail">${s.note}</p>`}
      </li>`)}</ol>
    </section>`}
  </div>`;
}

/** @param {{ id?: string }} props */
export function MatchingBoardScreen({ id }) {
  const board = useQuery(MatchingBoard);
  const needs = board.data
    ? overdueFirst(['open', 'matching', 'matched', 'delivered'].flatMap((status) => board.data[status].nodes))
    : [];
  const chosen = id || needs[0]?.id;
  const overdueCount = needs.filter(isOverdue).length;
  return html`<${ConsolePage} section="matching" title="需求对接">
    <${QueryState} query=${board} lines=${5} />
    ${board.data && html`<p class="muted" role="status">进行中 ${needs.length} 项，其中超时 ${overdueCount} 项（超时的在前）</p>`}
    ${board.data && (needs.length > 0 || chosen) && html`<div class="split wide-detail">
      ${!needs.length && html`<p class="empty">没有进行中的需求。</p>`}
      ${needs.length > 0 && html`<div class="table-scroll">
        <table class="sheet needs">
          <caption class="visually-hidden">进行中的需求，超时的在前</caption>
          <thead><tr>
            <th scope="col">需求</th><th scope="col">社区</th><th scope="col">紧急</th>
            <th scope="col">已等待</th><th scope="col">期望完成</th><th scope="col">状态</th>
          </tr></thead>
          <tbody>${needs.map((n) => html`<tr key=${n.id} class=${n.id === chosen ? 'chosen' : ''}>
            <td><a href=${`/staff/matching/${n.id}`} aria-current=${n.id === chosen ? 'true' : undefined}>${n.title}</a>
              ${isOverdue(n) && html` <span class="tag overdue">已超时</span>`}
              ${n.escalatedTo && html`<br /><span class="muted">已升级至 ${n.escalatedTo.displayName}</span>`}</td>
            <td>${n.community.name}</td>
            <td>${URGENCY[/** @type {keyof typeof URGENCY} */ (n.urgency)]}</td>
            <td>${age(n.createdAt)}</td>
            <td><time datetime=${n.wantedBy}>${formatDate(n.wantedBy)}</time>
              <br /><span class="muted">时限 ${formatDateTime(n.slaDueAt)}</span></td>
            <td>${NEED_STATUS[/** @type {keyof typeof NEED_STATUS} */ (n.status)]}</td>
          </tr>`)}</tbody>
        </table>
      </div>`}
      ${chosen && html`<div class="queue-detail card"><${NeedPanel} key=${chosen} id=${chosen} onChanged=${board.reload} /></div>`}
    </div>`}
    ${board.data && !needs.length && !chosen && html`<p class="empty">没有进行中的需求。</p>`}
  <//>`;
}
