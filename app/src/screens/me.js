// 我的: the person, settings (长辈版, sign out) and the doors to the organiser's and the
// merchant counter's screens for those who belong to an organisation or run a shop.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone-3.1.1.module.js';
import { Me as MeDocument, SignOut } from '../operations/identity.js';
import { request } from '../api.js';
import { currentSession, storeSession } from '../session.js';
import { navigate } from '../router.js';
import { elderMode, onElderModeChange, setElderMode } from '../elder.js';
import { Page, QueryState, useQuery } from '../ui.js';

const ROLES = { OWNER: '负责人', MANAGER: '管理员', MEMBER: '成员' };

export function Me() {
  const me = useQuery(MeDocument);
  const [elder, setElder] = useState(elderMode());
  useEffect(() => onElderModeChange(() => setElder(elderMode())), []);
  const [signingOut, setSigningOut] = useState(false);
  const signOut = async () => {
    setSigningOut(true);
    const session = currentSession();
    // Ending the session on the server matters more than its answer: sign out locally anyway.
    if (session) await request(SignOut, { input: { refreshToken: session.refreshToken } }).catch(() => {});
    storeSession(null);
    navigate('/signin', { replace: true });
  };
  const person = me.data?.me;
  const memberships = me.data?.myOrganisations || [];
  return html`<${Page} title="我的">
    <${QueryState} query=${me} lines=${3} />
    ${person && html`<section class="card">
      <h2>${person.displayName}</h2>
      <p class="muted">${person.email || person.phone}${person.community ? ` · ${person.community.name}` : ''}</p>
      <p>${person.emailVerified ? '邮箱已确认' : '邮箱未确认（可在钱包页发送确认邮件）'}</p>
    </section>`}
    ${(person?.role === 'STAFF' || person?.role === 'ADMIN') && html`<nav class="card" aria-label="社创中心">
      <ul class="menu">
        <li><a href="/staff">社创中心工作台</a></li>
        <li><a href="/staff/products">社创产品审核</a></li>
      </ul>
    </nav>`}
    <nav class="card" aria-label="我的服务">
      <ul class="menu">
        <li><a href="/service">志愿服务记录</a></li>
        <li><a href="/bookings">我的预约</a></li>
        <li><a href="/wallet/donate">捐赠积分</a></li>
        <li><a href="/groups">居民自治组织</a></li>
        <li><a href="/needs/new">发布社区需求</a></li>
      </ul>
    </nav>
    ${memberships.length > 0 && html`<section class="card" aria-labelledby="orgs-title">
      <h2 id="orgs-title">我所在的组织</h2>
      <ul class="menu">
        ${memberships.map((/** @type {any} */ m) => html`<li key=${m.organisation.id}>
          <a href=${`/org/${m.organisation.id}`}>${m.organisation.name}（${ROLES[/** @type {keyof typeof ROLES} */ (m.role)]}）</a>
        </li>`)}
        ${memberships.filter((/** @type {any} */ m) => m.organisation.merchant).map((/** @type {any} */ m) => html`<li key=${m.organisation.merchant.id}>
          <a href=${`/counter/${m.organisation.merchant.id}`}>商家柜台：${m.organisation.merchant.shopName}</a>
        </li>`)}
      </ul>
    </section>`}
    <section class="card" aria-labelledby="settings-title">
      <h2 id="settings-title">设置</h2>
      <div class="setting">
        <p id="elder-label">长辈版（大字、大按钮）</p>
        <button type="button" class="button secondary" role="switch" aria-checked=${elder ? 'true' : 'false'}
          aria-labelledby="elder-label" onClick=${() => setElderMode(!elder)}>${elder ? '已开启，点此关闭' : '已关闭，点此开启'}</button>
      </div>
      <button type="button" class="button secondary" onClick=${signOut} disabled=${signingOut}>退出登录</button>
    </section>
  <//>`;
}
