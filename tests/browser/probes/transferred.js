// Run by WebDriver as a script body: bytes transferred (compressed) for the page so far.
const entries = performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'));
return entries.reduce((sum, e) => sum + e.transferSize, 0);
