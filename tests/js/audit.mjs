// Proves GraphQL-over-HTTP conformance with graphql-http's own server audit, the suite the
// specification's authors maintain. MUST items that fail are errors and SHOULD items are
// warnings, both failures here; MAY items that fail are notices, printed but allowed.
import { auditServer } from 'graphql-http';
import { cli, finish, graphqlEndpoint, run, unreachable } from './lib/cli.mjs';

const USAGE = `usage: node tests/js/audit.mjs --url http://127.0.0.1:PORT

Runs graphql-http's auditServer against <url>/graphql and prints every result.`;

run('audit', async () => {
  const args = cli(USAGE, { url: { type: 'string' } }, ['url']);
  const endpoint = graphqlEndpoint(args.url);
  // The audits swallow connection errors into per-item failures; say plainly when the server
  // is not there instead of reporting sixty refusals.
  await fetch(endpoint, { method: 'OPTIONS' }).catch((error) => {
    throw unreachable(endpoint, error);
  });

  const results = await auditServer({ url: endpoint });
  const counts = {};
  for (const result of results) {
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    const reason = result.status === 'ok' ? '' : ` — ${result.reason}`;
    console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}${reason}`);
  }
  console.log(Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', '));

  const failed = results.filter((r) => r.status === 'error' || r.status === 'warn');
  finish('audit', failed.map((r) => `${r.status} ${r.id} ${r.name}: ${r.reason}`),
    `${results.length} audits, no error or warning`);
});
