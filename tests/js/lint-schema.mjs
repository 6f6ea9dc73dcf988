// Proves schema hygiene with the unmodified graphql-schema-linter: every type, field,
// argument, enum value and input value described, Relay connections complete, naming
// conventions kept. The rules are in .graphql-schema-linterrc next to this file (README.md
// says which are off and why); lint-rules/ adds the Relay checks the built-ins lack.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCHEMA, cli, finish, run, runTool, usageError } from './lib/cli.mjs';

const CONFIG_DIRECTORY = fileURLToPath(new URL('.', import.meta.url));
const EXAMPLES = 3;

const USAGE = `usage: node tests/js/lint-schema.mjs [--schema schema.graphql] [--verbose]

Runs graphql-schema-linter with tests/js/.graphql-schema-linterrc over --schema (default: the
repository's schema.graphql) and prints a count per rule with ${EXAMPLES} examples each
(--verbose: every problem).`;

run('lint-schema', async () => {
  const args = cli(USAGE, {
    schema: { type: 'string', default: DEFAULT_SCHEMA },
    verbose: { type: 'boolean', default: false },
  });
  const schema = path.resolve(args.schema);
  const linted = runTool('graphql-schema-linter', 'graphql-schema-linter',
    ['--config-directory', CONFIG_DIRECTORY, '--format', 'json', schema]);
  // The linter only warns about a misspelt rule or custom rule and then runs without it, which
  // would pass silently; anything on stderr is a configuration problem.
  if (linted.stderr.trim()) usageError(`graphql-schema-linter: ${linted.stderr.trim()}`);
  if (linted.status !== 0 && linted.status !== 1) {
    usageError(`graphql-schema-linter exited with ${linted.status}: ${linted.stdout}`);
  }

  const { errors } = JSON.parse(linted.stdout);
  const byRule = new Map();
  for (const e of errors) byRule.set(e.rule, [...(byRule.get(e.rule) ?? []), e]);
  const rules = [...byRule].sort(([a], [b]) => a.localeCompare(b));
  for (const [rule, found] of rules) {
    console.log(`${String(found.length).padStart(4)} ${rule}`);
    const shown = args.verbose ? found : found.slice(0, EXAMPLES);
    for (const e of shown) console.log(`       ${path.basename(e.location.file)}:${e.location.line}:${e.location.column} ${e.message}`);
    if (shown.length < found.length) console.log(`       … ${found.length - shown.length} more (--verbose)`);
  }
  finish('lint-schema', rules.map(([rule, found]) => `${rule}: ${found.length}`),
    `${path.basename(schema)} passes every configured rule`);
});
