// Run by WebDriver as a script body: every host the page loaded anything from.
const urls = [location.href]
  .concat(performance.getEntriesByType('navigation').map((e) => e.name))
  .concat(performance.getEntriesByType('resource').map((e) => e.name));
return Array.from(new Set(urls.map((u) => new URL(u).host)));
