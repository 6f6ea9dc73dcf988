// Incubation-centre staff: the product review queue (publish, or send back with a note the
// organisation sees). The rest of the staff console is still GraphiQL.
import { html, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { ProductReviewQueue, ReviewProduct } from '../operations/catalogue.js';
import { formatYuan, PRICE_TIERS } from '../format.js';
import {
  Field, FormError, Notice, Page, QueryState, useMutation, useQuery,
} from '../ui.js';

/** @param {{ product: any, onDone: (message: string) => void }} props */
function Review({ product, onDone }) {
  const { run, busy, errors } = useMutation();
  const [reason, setReason] = useState('');
  const decide = async (/** @type {'PUBLISH' | 'REJECT'} */ decision) => {
    const input = { productId: product.id, decision, reason: decision === 'REJECT' ? reason : null };
    if (await run(ReviewProduct, { input }, 'reviewProduct')) {
      onDone(decision === 'PUBLISH' ? `“${product.title}”已发布。` : `“${product.title}”已退回。`);
    }
  };
  return html`<li class="card">
    <h2>${product.title}</h2>
    <p>${product.summary}</p>
    <p class="description">${product.description}</p>
    <p class="muted">${product.organisation.name} · ${product.category.nameZh} · ${PRICE_TIERS[/** @type {keyof typeof PRICE_TIERS} */ (product.priceTier)]}${product.priceYuan ? ` · ${formatYuan(product.priceYuan)}` : ''}</p>
    <${Field} label="退回理由（退回时必填，组织会看到）" name="reason" value=${reason} onInput=${setReason} error=${errors.reason} />
    <${FormError} errors=${errors} fields=${['reason']} />
    <div class="actions">
      <button type="button" class="button primary" onClick=${() => decide('PUBLISH')} disabled=${busy} aria-label=${`发布 ${product.title}`}>发布</button>
      <button type="button" class="button secondary" onClick=${() => decide('REJECT')} disabled=${busy} aria-label=${`退回修改 ${product.title}`}>退回修改</button>
    </div>
  </li>`;
}

export function ProductReviews() {
  const queue = useQuery(ProductReviewQueue);
  const [done, setDone] = useState(/** @type {string | null} */ (null));
  const finished = (/** @type {string} */ message) => { setDone(message); queue.reload(); };
  const items = queue.data?.products.edges || [];
  return html`<${Page} title="社创产品审核" back="/me" backLabel="我的">
    ${done && html`<${Notice}><p>${done}</p><//>`}
    <${QueryState} query=${queue} lines=${4} />
    ${queue.data && html`<p class="muted" role="status">待审核 ${queue.data.products.totalCount} 项</p>`}
    <ul class="cards">${items.map((/** @type {any} */ { node }) => html`<${Review} key=${node.id} product=${node} onDone=${finished} />`)}</ul>
  <//>`;
}
