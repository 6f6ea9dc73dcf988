// Linli's app: the shell (header with the 长辈版 switch, the screen, the tab bar) and the
// table of screens by URL. Screens for signed-in people send anonymous visitors to sign in
// and bring them back afterwards.
import { html, render, useEffect, useState } from '../vendor/htm-preact-standalone-3.1.1.module.js';
import { currentSession, onSessionChange } from './session.js';
import { apply as applyElderMode, elderMode, onElderModeChange, setElderMode } from './elder.js';
import { match, navigate, useLocation } from './router.js';
import { Page } from './ui.js';
import { ForgotPassword, Register, ResetPassword, SignIn, VerifyEmail } from './screens/account.js';
import { Donate, Wallet } from './screens/wallet.js';
import { ActivityDetail, ActivityList, ServiceRecord } from './screens/activities.js';
import { Catalogue, ProductDetail } from './screens/catalogue.js';
import { MyBookingsScreen, OrganisationBookingsScreen } from './screens/booking.js';
import { RedemptionScreen, Rewards } from './screens/rewards.js';
import { Groups, PostNeed } from './screens/community.js';
import { Me } from './screens/me.js';
import { CertificateScreen, VerifyScreen } from './screens/certificate.js';
import {
  AttendanceSheet, Budget, CheckInScreen, OrganisationActivities, OrganisationHome, OrganisationProducts, ProductEditor, ActivityEditor,
} from './screens/organiser.js';
import { Counter, CounterRewards, CounterStatement } from './screens/counter.js';
import { ApprovalQueueScreen, OrganisationQueueScreen, ProductReviews } from './screens/staff.js';
import { IncubationBoardScreen, MatchingBoardScreen } from './screens/staff-boards.js';
import { DirectoryEntryScreen, DirectoryScreen, MerchantQueueScreen } from './screens/staff-directory.js';
import { BudgetsScreen } from './screens/staff-budgets.js';
import { SettlementsScreen } from './screens/staff-settlements.js';
import { DashboardScreen } from './screens/staff-dashboard.js';
import { ReviewCasesScreen } from './screens/staff-reviews.js';

/**
 * `console` marks the staff console's screens, which keep a desk's width (and, at a desk, no
 * tab bar: the console has its own navigation).
 * @typedef {{ screen: (props: any) => any, signedIn?: boolean, tab?: string, console?: boolean }} Route
 */

/** @type {Array<[string, Route]>} */
const ROUTES = [
  ['/signin', { screen: SignIn }],
  ['/register', { screen: Register }],
  ['/forgot-password', { screen: ForgotPassword }],
  ['/reset-password', { screen: ResetPassword }],
  ['/verify-email', { screen: VerifyEmail }],
  ['/wallet', { screen: Wallet, signedIn: true, tab: 'wallet' }],
  ['/wallet/donate', { screen: Donate, signedIn: true, tab: 'wallet' }],
  ['/activities', { screen: ActivityList, tab: 'activities' }],
  ['/activities/:id', { screen: ActivityDetail, tab: 'activities' }],
  ['/service', { screen: ServiceRecord, signedIn: true, tab: 'me' }],
  ['/service/certificates/:number', { screen: CertificateScreen, signedIn: true, tab: 'me' }],
  ['/verify/:number', { screen: VerifyScreen }],
  ['/bookings', { screen: MyBookingsScreen, signedIn: true, tab: 'me' }],
  ['/rewards', { screen: Rewards, tab: 'rewards' }],
  ['/redemptions/:id', { screen: RedemptionScreen, signedIn: true, tab: 'rewards' }],
  ['/catalogue', { screen: Catalogue, tab: 'catalogue' }],
  ['/catalogue/:id', { screen: ProductDetail, tab: 'catalogue' }],
  ['/groups', { screen: Groups, tab: 'catalogue' }],
  ['/needs/new', { screen: PostNeed, signedIn: true, tab: 'catalogue' }],
  ['/me', { screen: Me, signedIn: true, tab: 'me' }],
  ['/org/:org', { screen: OrganisationHome, signedIn: true, tab: 'me' }],
  ['/org/:org/products', { screen: OrganisationProducts, signedIn: true, tab: 'me' }],
  ['/org/:org/products/new', { screen: ProductEditor, signedIn: true, tab: 'me' }],
  ['/org/:org/products/:id', { screen: ProductEditor, signedIn: true, tab: 'me' }],
  ['/org/:org/activities', { screen: OrganisationActivities, signedIn: true, tab: 'me' }],
  ['/org/:org/activities/new', { screen: ActivityEditor, signedIn: true, tab: 'me' }],
  ['/org/:org/activities/:id/check-in', { screen: CheckInScreen, signedIn: true }],
  ['/org/:org/activities/:id/attendance', { screen: AttendanceSheet, signedIn: true, tab: 'me' }],
  ['/org/:org/budget', { screen: Budget, signedIn: true, tab: 'me' }],
  ['/org/:org/bookings', { screen: OrganisationBookingsScreen, signedIn: true, tab: 'me' }],
  ['/counter/:merchant', { screen: Counter, signedIn: true }],
  ['/counter/:merchant/statement', { screen: CounterStatement, signedIn: true }],
  ['/counter/:merchant/rewards', { screen: CounterRewards, signedIn: true }],
  ['/staff', { screen: OrganisationQueueScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/organisations', { screen: OrganisationQueueScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/products', { screen: ProductReviews, signedIn: true, tab: 'me', console: true }],
  ['/staff/merchants', { screen: MerchantQueueScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/directory', { screen: DirectoryScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/directory/:id', { screen: DirectoryEntryScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/budgets', { screen: BudgetsScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/settlements', { screen: SettlementsScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/dashboard', { screen: DashboardScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/approvals', { screen: ApprovalQueueScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/reviews', { screen: ReviewCasesScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/incubation', { screen: IncubationBoardScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/matching', { screen: MatchingBoardScreen, signedIn: true, tab: 'me', console: true }],
  ['/staff/matching/:id', { screen: MatchingBoardScreen, signedIn: true, tab: 'me', console: true }],
];

const TABS = [
  ['wallet', '/wallet', '钱包', '◎'],
  ['activities', '/activities', '活动', '✚'],
  ['rewards', '/rewards', '兑换', '✦'],
  ['catalogue', '/catalogue', '发现', '◇'],
  ['me', '/me', '我的', '☺'],
];

function useSignedIn() {
  const [session, setSession] = useState(currentSession());
  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  return session;
}

function ElderSwitch() {
  const [on, setOn] = useState(elderMode());
  useEffect(() => onElderModeChange(() => setOn(elderMode())), []);
  return html`<button type="button" class="elder-switch" aria-pressed=${on ? 'true' : 'false'}
      onClick=${() => setElderMode(!on)}>
    ${on ? '长辈版：已开启' : '长辈版'}
  </button>`;
}

function NotFound() {
  return html`<${Page} title="页面不存在">
    <p>这个地址没有内容。</p>
    <p><a class="button secondary" href="/">回到首页</a></p>
  <//>`;
}

function App() {
  const { path } = useLocation();
  const session = useSignedIn();
  const found = match(ROUTES, path);
  useEffect(() => {
    if (path === '/' || path === '') navigate(session ? '/wallet' : '/signin', { replace: true });
    else if (found?.value.signedIn && !session) {
      navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  }, [path, session]);
  useEffect(() => { document.documentElement.classList.toggle('console-mode', Boolean(found?.value.console)); }, [found?.value.console]);
  if (path === '/' || (found?.value.signedIn && !session)) return null;
  const Screen = found ? found.value.screen : NotFound;
  const tab = found?.value.tab;
  const fullScreen = path.endsWith('/check-in') || path.startsWith('/redemptions/');
  return html`
    <a class="skip-link" href="#main">跳到正文</a>
    ${!fullScreen && html`<header class="top-bar">
      <a class="brand" href="/" aria-label="邻里 首页"><span aria-hidden="true">邻里</span></a>
      <${ElderSwitch} />
    </header>`}
    <${Screen} ...${found ? found.params : {}} key=${path} />
    ${session && tab && !fullScreen && html`<nav class="tab-bar" aria-label="主导航">
      ${TABS.map(([name, href, label, icon]) => html`<a key=${name} href=${href} aria-current=${tab === name ? 'page' : undefined}>
        <span class="tab-icon" aria-hidden="true">${icon}</span>${label}
      </a>`)}
    </nav>`}
  `;
}

applyElderMode();
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}

// The shell opens offline once it has been seen; /graphql answers are never cached (sw.js).
if ('serviceWorker' in navigator) {
  addEventListener('load', () => { navigator.serviceWorker.register('/sw.js').catch(() => {}); });
}
