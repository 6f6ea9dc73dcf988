// What every script in tests/js shares: flags, paths, the endpoint, and one way to end.
//
// Exit codes, relied on by the Rust suite: 0 passed (or skipped: the last line then starts
// with "SKIP"), 1 the check failed, 2 the script was called wrongly or its input is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSchema } from 'graphql';

/** The repository root, so defaults work whatever directory the script is started from. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_SCHEMA = path.join(REPO_ROOT, 'schema.graphql');

/**
 * Parses the command line against `options` (node:util parseArgs syntax); `--help` prints
 * `usage`. Unknown flags and missing required ones end the script with status 2.
 */
export function cli(usage, options, required = []) {
  let values;
  try {
    ({ values } = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    usageError(error.message, usage);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  for (const name of required) {
    if (values[name] === undefined) usageError(`--${name} is required`, usage);
  }
  return values;
}

export function usageError(message, usage) {
  console.error(usage ? `${message}\n\n${usage}` : message);
  process.exit(2);
}

/** `--url` is the server's base address; GraphQL is served at `<url>/graphql`. */
export function graphqlEndpoint(url) {
  let base;
  try {
    base = new URL(url.endsWith('/') ? url : `${url}/`);
  } catch {
    usageError(`--url ${url} is not an absolute URL (e.g. http://127.0.0.1:8080)`);
  }
  return new URL('graphql', base).href;
}

/** Reads and builds an SDL schema file; a missing or invalid file is a usage error. */
export function loadSchema(file) {
  let sdl;
  try {
    sdl = fs.readFileSync(file, 'utf8');
  } catch (error) {
    usageError(`cannot read the schema ${file}: ${error.message}`);
  }
  try {
    return buildSchema(sdl);
  } catch (error) {
    usageError(`${file} is not a valid GraphQL schema: ${error.message}`);
  }
}

/**
 * Runs a command-line tool from this package's own node_modules (never one on PATH, so the
 * locked version is what runs) and returns its status and output.
 */
export function runTool(pkg, bin, args) {
  const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  const entry = path.join(path.dirname(manifest), JSON.parse(fs.readFileSync(manifest, 'utf8')).bin[bin]);
  const result = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

export function skip(message) {
  console.log(`SKIP: ${message}`);
  process.exit(0);
}

/** Prints the verdict and exits: each problem on its own line, or the success line. */
export function finish(name, problems, success) {
  if (problems.length === 0) {
    console.log(`PASS ${name}: ${success}`);
    process.exit(0);
  }
  console.log(`FAIL ${name}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const problem of problems) console.log(`  - ${problem.replaceAll('\n', '\n    ')}`);
  process.exit(1);
}

/**
 * POSTs a GraphQL request and returns the HTTP status, content type and parsed body, so a
 * report can say exactly what came back. A body that is not JSON is returned as text.
 */
export async function post(endpoint, body, headers = {}) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).catch((error) => {
    throw unreachable(endpoint, error);
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
}

/** Node's fetch hides the reason (e.g. ECONNREFUSED) in `cause`; a report should show it. */
export function unreachable(endpoint, error) {
  return new Error(`cannot reach ${endpoint}: ${error.cause?.message ?? error.message}`);
}

/**
 * Runs a script's main function; an exception (the server is down, say) is a failure with its
 * message rather than a stack trace.
 */
export function run(name, main) {
  main().catch((error) => {
    console.log(`FAIL ${name}: ${error.message}`);
    process.exit(1);
  });
}

/** One line per GraphQL error, with its code, so reports stay readable. */
export function describeErrors(errors) {
  return errors
    .map((e) => `${e.extensions?.code ? `[${e.extensions.code}] ` : ''}${e.message}`)
    .join('\n');
}
