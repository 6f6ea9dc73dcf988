// The social-innovation catalogue: browse by category and search in Chinese; a product open to
// booking has its booking panel.
import { html } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { Product, Products } from '../operations/catalogue.js';
import { Categories } from '../operations/identity.js';
import { navigate, useLocation } from '../router.js';
import { formatPoints, formatYuan, PRICE_TIERS } from '../format.js';
import { Field, Page, QueryState, useForm, useQuery, prevent } from '../ui.js';
import { BookingPanel } from './booking.js';

/** @param {any} product */
function price(product) {
  const tier = PRICE_TIERS[/** @type {keyof typeof PRICE_TIERS} */ (product.priceTier)];
  const parts = [tier];
  if (product.priceYuan) parts.push(formatYuan(product.priceYuan));
  if (product.marketPriceYuan) parts.push(`市场价 ${formatYuan(product.marketPriceYuan)}`);
  if (product.pricePoints) parts.push(formatPoints(product.pricePoints));
  return parts.join(' · ');
}

export function Catalogue() {
  const { query } = useLocation();
  const text = query.get('q') || '';
  const category = query.get('category') || '';
  const [form, set] = useForm({ q: text });
  const categories = useQuery(Categories);
  const filter = { text: text || null, categories: category ? [category] : null };
  const list = useQuery(Products, { filter, orderBy: text ? 'RELEVANCE' : 'NEWEST' }, [location.search]);
  const search = (/** @type {Event} */ event) => {
    prevent(event);
    const next = new URLSearchParams(location.search);
    if (form.q.trim()) next.set('q', form.q.trim()); else next.delete('q');
    navigate(`/catalogue?${next}`);
  };
  const setCategory = (/** @type {string} */ value) => {
    const next = new URLSearchParams(location.search);
    if (value) next.set('category', value); else next.delete('category');
    navigate(`/catalogue?${next}`, { replace: true });
  };
  const options = [['', '全部类别'], ...(categories.data?.categories || []).map((/** @type {any} */ c) => [c.id, c.nameZh])];
  return html`<${Page} title="发现社创服务">
    <p class="links"><a href="/groups">居民自治组织</a><a href="/needs/new">发布社区需求</a></p>
    <form role="search" onSubmit=${search} class="search">
      <${Field} label="搜索服务" name="q" type="search" value=${form.q} onInput=${set('q')} hint="例如：老年人 助餐、家电维修" />
      <button type="submit" class="button primary">搜索</button>
    </form>
    <${Field} label="类别" name="category" value=${category} onInput=${setCategory} options=${options} />
    <${QueryState} query=${list} lines=${5} />
    ${list.data && html`<p class="muted" role="status">${text ? `“${text}”的搜索结果：` : ''}共 ${list.data.products.totalCount} 项</p>`}
    <ul class="cards">
      ${(list.data?.products.edges || []).map((/** @type {any} */ { node }) => html`<li class="card" key=${node.id}>
        <h2><a href=${`/catalogue/${node.id}`}>${node.title}</a></h2>
        <p>${node.summary}</p>
        <p class="muted">${node.organisation.name} · ${node.category.nameZh}</p>
        <p>${price(node)}</p>
      </li>`)}
    </ul>
  <//>`;
}

/** @param {{ id: string }} props */
export function ProductDetail({ id }) {
  const product = useQuery(Product, { id }, [id]);
  const node = product.data?.node;
  return html`<${Page} title=${node?.title || '社创服务'} back="/catalogue" backLabel="返回发现">
    <${QueryState} query=${product} lines=${4} />
    ${product.data && !node && html`<p class="error-box" role="alert">没有找到这项服务。</p>`}
    ${node && html`<section class="card">
      <p>${node.summary}</p>
      <p class="description">${node.description}</p>
      <p><strong>价格：</strong>${price(node)}</p>
      <p><strong>提供方：</strong>${node.organisation.name}（联系：${node.organisation.contact}）</p>
      ${node.communities.length > 0 && html`<p><strong>服务社区：</strong>${node.communities.map((/** @type {any} */ c) => c.name).join('、')}</p>`}
    </section>
    <${BookingPanel} productId=${node.id} />`}
  <//>`;
}
