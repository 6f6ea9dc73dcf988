// Linli's service worker: the app shell opens offline. App files are fetched from the network
// first (so an upgrade shows at once) and kept as the offline copy; versioned vendor files are
// served from the cache. /graphql, statements and every other API answer are never cached:
// points and codes must never be shown stale, and exports never kept.
const SHELL = 'linli-shell-v10';
const PRECACHE = [
  '/', '/index.html', '/styles.css', '/manifest.webmanifest', '/icons/icon.svg',
  '/vendor/htm-preact-standalone-3.1.1.module.js',
  '/src/main.js', '/src/api.js', '/src/session.js', '/src/router.js', '/src/ui.js', '/src/elder.js', '/src/format.js',
  '/src/chart.js', '/src/qr.js', '/src/scan.js',
  '/src/operations/index.js', '/src/operations/fragments.js', '/src/operations/identity.js', '/src/operations/wallet.js',
  '/src/operations/volunteering.js', '/src/operations/catalogue.js', '/src/operations/rewards.js', '/src/operations/community.js',
  '/src/operations/staff.js', '/src/operations/directory.js', '/src/operations/insight.js',
  '/src/screens/account.js', '/src/screens/wallet.js', '/src/screens/activities.js', '/src/screens/catalogue.js',
  '/src/screens/rewards.js', '/src/screens/community.js', '/src/screens/me.js', '/src/screens/organiser.js', '/src/screens/counter.js',
  '/src/screens/staff.js', '/src/screens/staff-boards.js', '/src/screens/staff-directory.js', '/src/screens/staff-budgets.js',
  '/src/screens/staff-dashboard.js', '/src/screens/booking.js', '/src/operations/booking.js',
  '/src/screens/staff-settlements.js', '/src/operations/settlement.js',
  '/src/screens/certificate.js', '/src/operations/certificate.js',
  '/src/screens/staff-reviews.js', '/src/operations/review.js',
];
// Exports and statements are people's data behind a signed link: never kept on the device (and
// a download is a navigation, which would otherwise overwrite the shell's copy of '/').
const NEVER = ['/graphql', '/graphiql', '/statements/', '/exports/', '/healthz', '/readyz', '/metrics', '/.well-known/'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key !== SHELL).map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

// The server's CORS layer marks every answer `Vary: Origin`; the shell's files are the same
// whoever asks, and a page's module requests carry an Origin the precache's did not.
const MATCH = { ignoreVary: true };

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== location.origin) return;
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (url.pathname.startsWith('/vendor/')) {
    event.respondWith(caches.match(request, MATCH).then((hit) => hit || fetch(request)));
    return;
  }
  // Screens are all index.html; the copy is kept under '/'.
  const key = request.mode === 'navigate' ? '/' : request;
  event.respondWith(fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put(key, copy));
    }
    return response;
  }).catch(() => caches.match(key, MATCH).then((hit) => hit || Response.error())));
});
