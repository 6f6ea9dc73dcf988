// Installed by WebDriver before the app runs: what went wrong without the page saying so.
window.linliProblems = [];
addEventListener('error', (e) => linliProblems.push(e instanceof ErrorEvent
  ? `script error: ${e.message}` : `failed to load: ${e.target.src || e.target.href}`), true);
addEventListener('unhandledrejection', (e) => linliProblems.push(`unhandled rejection: ${e.reason}`));
addEventListener('securitypolicyviolation', (e) => linliProblems.push(`CSP ${e.violatedDirective}: ${e.blockedURI}`));
