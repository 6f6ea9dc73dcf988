// The scripts' own tests (npm test), no Linli needed: each script passes on what is right
// (the fixtures, and a graphql-js reference server) and fails, naming the fault, on what is
// wrong. Without this, a script that can never pass would look like a back-end problem.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startReferenceServer } from './fixtures/reference-server.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = path.join(HERE, 'fixtures');
const REFERENCE_SCHEMA = path.join(FIXTURES, 'reference-schema.graphql');

/** Runs a script as the Rust suite does (asynchronously: the reference server shares this process). */
async function script(name, ...args) {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(HERE, name), ...args]);
    return { code: 0, stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, stdout: `${error.stdout}${error.stderr}` };
  }
}

const temporary = [];
after(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function temporaryDirectory() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-js-'));
  temporary.push(dir);
  return dir;
}

function temporaryCopy(file, edit) {
  const copy = path.join(temporaryDirectory(), path.basename(file));
  fs.writeFileSync(copy, edit(fs.readFileSync(file, 'utf8')));
  return copy;
}

describe('against a reference server', () => {
  let server;
  before(async () => {
    server = await startReferenceServer();
  });
  after(() => server.close());

  test('introspection: every variant equals the schema file', async () => {
    const run = await script('introspection.mjs', '--url', server.url, '--schema', REFERENCE_SCHEMA);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /PASS introspection: default, graphiql, full/);
  });

  test('introspection: a schema file the server does not serve is a named difference', async () => {
    const changed = temporaryCopy(REFERENCE_SCHEMA, (sdl) => sdl.replace('  title: String!', '  title: String'));
    const run = await script('introspection.mjs', '--url', server.url, '--schema', changed, '--variant', 'default');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /differs: type Product\n\s+-\s+title: String\n\s+\+\s+title: String!\n/);
  });

  test('audit: graphql-http passes its own audit', async () => {
    const run = await script('audit.mjs', '--url', server.url);
    assert.equal(run.code, 0, run.stdout);
  });

  test('apollo-pagination: forwards and backwards, with and without keyArgs', async () => {
    for (const extra of [[], ['--args', 'filter: { titleContains: "1" }']]) {
      const run = await script('apollo-pagination.mjs', '--url', server.url, '--page-size', '4', ...extra);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /forwards: \d+ pages merged .* equal to the reference/);
      assert.match(run.stdout, /backwards: \d+ pages merged .* equal to the reference/);
    }
  });
});

test('apollo-pagination: backward pages in the wrong order fail', async () => {
  const server = await startReferenceServer({ reverseBackward: true });
  try {
    const run = await script('apollo-pagination.mjs', '--url', server.url, '--page-size', '4');
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /backwards \(last\/before\): out of order/);
    assert.doesNotMatch(run.stdout, /forwards \(first\/after\)/);
  } finally {
    await server.close();
  }
});

test('scripts that need a server say when it is not there', async () => {
  const run = await script('audit.mjs', '--url', 'http://127.0.0.1:9');
  assert.equal(run.code, 1);
  assert.match(run.stdout, /FAIL audit: cannot reach http:\/\/127\.0\.0\.1:9\/graphql/);
});

test('lint-schema: the reference schema passes', async () => {
  const run = await script('lint-schema.mjs', '--schema', REFERENCE_SCHEMA);
  assert.equal(run.code, 0, run.stdout);
});

test('lint-schema: one-way connections and a partial PageInfo are Relay violations', async () => {
  const oneWay = temporaryCopy(REFERENCE_SCHEMA, (sdl) => sdl
    .replace(/ {4}"At most this many items before `before`."\n {4}last: Int\n/, '')
    .replace(/ {2}"The cursor of the first item, null on an empty page."\n {2}startCursor: String\n/, ''));
  const run = await script('lint-schema.mjs', '--schema', oneWay, '--verbose');
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stdout, /`Query.products` lacks `last`/);
  assert.match(run.stdout, /`PageInfo` lacks `startCursor: String`/);
});

test('validate-documents: the sample operations are valid', async () => {
  const run = await script('validate-documents.mjs', '--operations', path.join(FIXTURES, 'operations'));
  assert.equal(run.code, 0, run.stdout);
  // index.js re-exports two modules: the same documents, checked once, not duplicates.
  assert.match(run.stdout, /PASS validate-documents: 4 documents in 4 modules/);
});

test('validate-documents: every broken export is reported with its file and name', async () => {
  const run = await script('validate-documents.mjs', '--operations', path.join(FIXTURES, 'operations-broken'));
  assert.equal(run.code, 1, run.stdout);
  for (const expected of [
    /invalid\.js export Products: Cannot query field "name" on type "Product"/,
    /invalid\.js export Products: Variable "\$first" of type "String" used in position expecting type "Int"/,
    /invalid\.js export MyWallet: Unknown fragment "Wallet"/,
    /export MyWallet: different documents under one name in .*duplicate\.js and .*invalid\.js/,
    /shape\.js export pageSize: is a number, not a GraphQL document string/,
    /shape\.js export ProductList: the query is named Products/,
    /shape\.js export TwoAtOnce: has 2 operations/,
    /shape\.js export Anonymous: the query is anonymous/,
    /shape\.js export Unparsable: Syntax Error/,
    /throws\.js: cannot be imported: this module cannot be loaded/,
  ]) assert.match(run.stdout, expected);
  assert.match(run.stdout, /FAIL validate-documents: 10 problems/);
});

test('validate-documents: a missing or empty folder is skipped', async () => {
  const empty = temporaryDirectory();
  for (const folder of [empty, path.join(empty, 'missing')]) {
    const run = await script('validate-documents.mjs', '--operations', folder);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^SKIP: /m);
  }
});

test('typecheck: a clean project passes, a type error fails, no project skips', async () => {
  const clean = await script('typecheck.mjs', '--project', path.join(FIXTURES, 'typecheck/jsconfig.json'));
  assert.equal(clean.code, 0, clean.stdout);
  const broken = await script('typecheck.mjs', '--project', path.join(FIXTURES, 'typecheck-broken/jsconfig.json'));
  assert.equal(broken.code, 1, broken.stdout);
  assert.match(broken.stdout, /money\.js\(7,3\): error TS2322/);
  const missing = await script('typecheck.mjs', '--project', path.join(FIXTURES, 'no-such/jsconfig.json'));
  assert.equal(missing.code, 0, missing.stdout);
  assert.match(missing.stdout, /^SKIP: /m);
});
