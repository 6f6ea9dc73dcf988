// Proves that the introspection queries real tools send succeed and describe exactly the
// schema in schema.graphql: each fixture is POSTed as is, the answer goes through graphql-js
// buildClientSchema (what GraphiQL, Apollo and codegen do), and the result is compared with
// what graphql-js itself answers to the same document on schema.graphql.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  getIntrospectionQuery,
  graphqlSync,
  Kind,
  lexicographicSortSchema,
  parse,
  print,
  printSchema,
  validateSchema,
  version as graphqlVersion,
} from 'graphql';
import { DEFAULT_SCHEMA, cli, describeErrors, finish, graphqlEndpoint, loadSchema, post, run, usageError } from './lib/cli.mjs';

const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url));

// Every stable option; experimentalDirectiveDeprecation is left out because it is not in the
// GraphQL specification and no tool sends it by default.
const FULL_OPTIONS = {
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

// `options` means the fixture must be exactly getIntrospectionQuery(options) of the pinned
// graphql-js, which the script checks; the GraphiQL fixture is copied from the vendored bundle
// (see README.md) and cannot be regenerated from this graphql-js version.
const VARIANTS = [
  {
    name: 'default',
    file: 'introspection-query.graphql',
    about: `graphql-js ${graphqlVersion} getIntrospectionQuery()`,
    options: {},
    headers: { accept: 'application/graphql-response+json, application/json' },
  },
  {
    name: 'graphiql',
    file: 'introspection-query-graphiql.graphql',
    about: 'GraphiQL 3.8.3 as /graphiql configures it (graphql-js 16.9.0 text, Accept: */*)',
    headers: { accept: '*/*' },
  },
  {
    name: 'full',
    file: 'introspection-query-full.graphql',
    about: `graphql-js ${graphqlVersion} getIntrospectionQuery(${Object.keys(FULL_OPTIONS).join(', ')})`,
    options: FULL_OPTIONS,
    headers: { accept: 'application/graphql-response+json, application/json' },
  },
];

const USAGE = `usage: node tests/js/introspection.mjs --url http://127.0.0.1:PORT [--schema schema.graphql] [--variant NAME ...]

POSTs each introspection fixture (tests/js/fixtures/introspection-query*.graphql) to <url>/graphql,
builds a client schema from the answer and compares it with --schema (default: the repository's
schema.graphql). Variants: ${VARIANTS.map((v) => v.name).join(', ')} (default: all).`;

run('introspection', async () => {
  const args = cli(USAGE, {
    url: { type: 'string' },
    schema: { type: 'string', default: DEFAULT_SCHEMA },
    variant: { type: 'string', multiple: true },
  }, ['url']);
  const endpoint = graphqlEndpoint(args.url);
  const schema = loadSchema(path.resolve(args.schema));
  const chosen = args.variant ?? VARIANTS.map((v) => v.name);
  for (const name of chosen) {
    if (!VARIANTS.some((v) => v.name === name)) usageError(`unknown --variant ${name}`, USAGE);
  }

  const problems = [];
  for (const variant of VARIANTS.filter((v) => chosen.includes(v.name))) {
    const problem = await check(variant, endpoint, schema);
    if (problem) problems.push(`${variant.name}: ${problem}`);
  }
  finish('introspection', problems, `${chosen.join(', ')} introspection answers equal ${args.schema}`);
});

/** Returns what is wrong with one variant, or nothing; prints a line about it either way. */
async function check(variant, endpoint, schema) {
  const query = fs.readFileSync(path.join(FIXTURES, variant.file), 'utf8');
  console.log(`${variant.name}: ${variant.file} — ${variant.about}`);
  if (variant.options && query !== getIntrospectionQuery(variant.options)) {
    return `fixtures/${variant.file} is no longer graphql-js ${graphqlVersion}'s exact text; copy it again from getIntrospectionQuery(${JSON.stringify(variant.options)})`;
  }

  const answer = await post(endpoint, { query, operationName: 'IntrospectionQuery' }, variant.headers);
  const cost = answer.json?.extensions?.cost;
  console.log(`  HTTP ${answer.status} ${answer.contentType ?? '(no content type)'}; extensions.cost: ${cost === undefined ? 'absent' : JSON.stringify(cost)}`);
  if (answer.json === undefined) return `HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 300)}`;
  if (answer.json.errors?.length) return `HTTP ${answer.status}, errors:\n${describeErrors(answer.json.errors)}`;
  if (!answer.json.data?.__schema) return `HTTP ${answer.status}, no data.__schema in ${answer.text.slice(0, 300)}`;

  let client;
  try {
    client = buildClientSchema(answer.json.data);
  } catch (error) {
    return `buildClientSchema refused the answer: ${error.message}`;
  }
  const invalid = validateSchema(client);
  if (invalid.length) return `the introspected schema is invalid:\n${invalid.map((e) => e.message).join('\n')}`;

  // The reference is graphql-js answering the same document on schema.graphql, so what a
  // variant cannot carry (specifiedByURL, say, in the default query) is left out of both.
  const reference = graphqlSync({ schema, source: query, operationName: 'IntrospectionQuery' });
  if (reference.errors) return `graphql-js cannot run the fixture itself: ${describeErrors(reference.errors)}`;
  const expected = printSchema(lexicographicSortSchema(buildClientSchema(reference.data)));
  const actual = printSchema(lexicographicSortSchema(client));
  if (expected !== actual) return `the introspected schema differs from the schema file:\n${diffSchemas(expected, actual)}`;
  console.log(`  ok: ${Object.keys(client.getTypeMap()).length} types, same as the schema file`);
  return undefined;
}

const KEYWORDS = {
  [Kind.SCHEMA_DEFINITION]: 'schema',
  [Kind.SCALAR_TYPE_DEFINITION]: 'scalar',
  [Kind.OBJECT_TYPE_DEFINITION]: 'type',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'interface',
  [Kind.UNION_TYPE_DEFINITION]: 'union',
  [Kind.ENUM_TYPE_DEFINITION]: 'enum',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'input',
  [Kind.DIRECTIVE_DEFINITION]: 'directive @',
};

/** Names each differing definition with the lines only the file (-) or the server (+) has. */
function diffSchemas(expected, actual) {
  const definitions = (sdl) => new Map(parse(sdl).definitions
    .map((d) => [d.name ? `${KEYWORDS[d.kind]} ${d.name.value}`.replace('@ ', '@') : KEYWORDS[d.kind], print(d)]));
  const want = definitions(expected);
  const got = definitions(actual);
  const lines = [];
  for (const [key, ours] of want) {
    const theirs = got.get(key);
    if (theirs === undefined) lines.push(`missing on the server: ${key}`);
    else if (theirs !== ours) {
      lines.push(`differs: ${key}`);
      const [a, b] = [ours.split('\n'), theirs.split('\n')];
      for (const line of a) if (!b.includes(line)) lines.push(`  - ${line}`);
      for (const line of b) if (!a.includes(line)) lines.push(`  + ${line}`);
    }
  }
  for (const key of got.keys()) if (!want.has(key)) lines.push(`only on the server: ${key}`);
  return lines.join('\n');
}
