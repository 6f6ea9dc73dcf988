// Proves Relay cursor pagination works with an unmodified Apollo Client 3: InMemoryCache
// with relayStylePagination merges the pages of one root connection, fetched over HTTP with
// Node's fetch. Forwards (first/after until hasNextPage is false) and backwards (last/before
// until hasPreviousPage is false), each from an empty cache, must rebuild exactly the list one
// big page returns: every item once, in order.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev/index.js';
import { relayStylePagination } from '@apollo/client/utilities/index.js';
import { Kind, parse } from 'graphql';
import { cli, describeErrors, finish, graphqlEndpoint, post, run, usageError } from './lib/cli.mjs';

const PAGING = ['first', 'after', 'last', 'before'];

// The connection's maximum page (docs/API.md: first is 0–100): the reference must fit in it.
const REFERENCE_SIZE = 100;

const USAGE = `usage: node tests/js/apollo-pagination.mjs --url http://127.0.0.1:PORT
    [--connection products] [--node 'id title'] [--page-size 5] [--args 'filter: {text: "助餐"}']
    [--header 'Authorization: Bearer …' ...]

Pages the root connection --connection (a Query field) with Apollo Client's
relayStylePagination, selecting --node on each node, --page-size at a time; --args are further
GraphQL arguments for the field (they become relayStylePagination's keyArgs). The whole list
must fit in one page of ${REFERENCE_SIZE}.`;

run('apollo-pagination', async () => {
  const args = cli(USAGE, {
    url: { type: 'string' },
    connection: { type: 'string', default: 'products' },
    node: { type: 'string', default: 'id title' },
    'page-size': { type: 'string', default: '5' },
    args: { type: 'string', default: '' },
    header: { type: 'string', multiple: true, default: [] },
  }, ['url']);
  const endpoint = graphqlEndpoint(args.url);
  const pageSize = Number(args['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > REFERENCE_SIZE) {
    usageError(`--page-size must be an integer from 1 to ${REFERENCE_SIZE}`, USAGE);
  }
  const headers = Object.fromEntries(args.header.map((header) => {
    const colon = header.indexOf(':');
    if (colon < 1) usageError(`--header ${header} is not "Name: value"`, USAGE);
    return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()];
  }));
  const field = args.connection;
  const extra = args.args ? `${args.args}, ` : '';
  const keyArgs = argumentNames(field, args.args);
  // Apollo's own errors in full, instead of links to go.apollo.dev.
  loadDevMessages();
  loadErrorMessages();

  console.log(`${field}(${extra}first/after, last/before) { ${args.node} }, pages of ${pageSize}, keyArgs ${JSON.stringify(keyArgs)}`);
  const reference = await referenceList(endpoint, headers, field, extra, args.node);
  console.log(`reference: ${reference.length} items in one page of ${REFERENCE_SIZE}`);

  const document = gql(`
    query LinliPage($first: Int, $after: String, $last: Int, $before: String) {
      ${field}(${extra}first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { ${args.node} } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`);
  const client = () => new ApolloClient({
    link: new HttpLink({ uri: endpoint, fetch, headers }),
    cache: new InMemoryCache({ typePolicies: { Query: { fields: { [field]: relayStylePagination(keyArgs) } } } }),
  });
  // Enough pages for the reference list, and one more for a server that finds the end only
  // with an empty page; past that the cursors are not advancing.
  const pageLimit = Math.ceil(reference.length / pageSize) + 1;

  const problems = [];
  for (const direction of DIRECTIONS) {
    const outcome = await paginate(client(), document, field, direction, pageSize, pageLimit)
      .catch((error) => ({ error: explain(error) }));
    if (outcome.error) {
      console.log(`${direction.name}: failed`);
      problems.push(`${direction.name} (${direction.arguments}): ${outcome.error}`);
      continue;
    }
    const merged = outcome.edges.map((edge) => comparable(edge.node));
    const wrong = compare(merged, reference);
    console.log(`${direction.name}: ${outcome.pages} pages merged into ${merged.length} items${wrong.length ? '' : ', equal to the reference'}`);
    problems.push(...wrong.map((w) => `${direction.name} (${direction.arguments}): ${w}`));
  }
  finish('apollo-pagination', problems,
    `${field} pages forwards and backwards into the same ${reference.length} items as one page`);
});

// Each direction starts from an empty cache at one end and walks to the other.
const DIRECTIONS = [
  {
    name: 'forwards',
    arguments: 'first/after',
    start: (size) => ({ first: size }),
    more: (pageInfo) => pageInfo.hasNextPage && { after: pageInfo.endCursor },
  },
  {
    name: 'backwards',
    arguments: 'last/before',
    start: (size) => ({ last: size }),
    more: (pageInfo) => pageInfo.hasPreviousPage && { before: pageInfo.startCursor },
  },
];

async function paginate(client, query, field, direction, pageSize, pageLimit) {
  const variables = direction.start(pageSize);
  const watched = client.watchQuery({ query, variables });
  // Subscribed as an app's component would be, so the query stays live between fetchMore calls.
  let subscription;
  const firstPage = new Promise((resolve, reject) => {
    subscription = watched.subscribe({ next: (result) => result.loading || resolve(), error: reject });
  });
  try {
    await firstPage;
    let pages = 1;
    for (;;) {
      const cached = client.readQuery({ query, variables });
      if (!cached) throw new Error('the cache cannot answer the query from the merged pages: fields are missing from the answers');
      const { edges, pageInfo } = cached[field];
      const next = direction.more(pageInfo);
      if (!next) return { pages, edges };
      if (pages === pageLimit) {
        throw new Error(`still ${JSON.stringify(pageInfo)} after ${pages} pages of ${pageSize}; the cursors are not advancing`);
      }
      await watched.fetchMore({ variables: next });
      pages += 1;
    }
  } finally {
    subscription.unsubscribe();
    client.stop();
  }
}

/** The whole connection in one page, fetched with plain fetch and only `first`, which Linli has always had. */
async function referenceList(endpoint, headers, field, extra, node) {
  const query = `query LinliReference { ${field}(${extra}first: ${REFERENCE_SIZE}) { edges { node { ${node} } } pageInfo { hasNextPage } } }`;
  const answer = await post(endpoint, { query }, { accept: 'application/graphql-response+json, application/json', ...headers });
  if (answer.json?.errors?.length || !answer.json?.data) {
    throw new Error(`the reference page failed (HTTP ${answer.status}): ${answer.json ? describeErrors(answer.json.errors ?? []) : answer.text.slice(0, 300)}`);
  }
  const connection = answer.json.data[field];
  if (connection.pageInfo.hasNextPage) {
    throw new Error(`${field} has more than ${REFERENCE_SIZE} items, so no single page can be the reference; narrow it with --args`);
  }
  if (connection.edges.length === 0) throw new Error(`${field} is empty: nothing to paginate`);
  return connection.edges.map((edge) => comparable(edge.node));
}

/**
 * The argument names in --args: relayStylePagination's keyArgs, so lists with different
 * filters are cached apart and the paging arguments are not. Also rejects unparsable --args.
 */
function argumentNames(field, text) {
  if (!text) return false;
  let definition;
  try {
    [definition] = parse(`{ ${field}(${text}) { __typename } }`).definitions;
  } catch (error) {
    usageError(`--args ${text} is not GraphQL arguments: ${error.message}`, USAGE);
  }
  const selection = definition.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  const names = selection.arguments.map((argument) => argument.name.value).sort();
  const paging = names.filter((name) => PAGING.includes(name));
  if (paging.length) usageError(`--args must not set ${paging.join(', ')}: the script pages itself`, USAGE);
  return names;
}

/** A node as JSON without the __typename fields Apollo adds, so it compares with the reference. */
function comparable(node) {
  return JSON.stringify(node, (key, value) => (key === '__typename' ? undefined : value));
}

/** What keeps `merged` from being `reference`: duplicates, gaps, strays, then order. */
function compare(merged, reference) {
  const wrong = [];
  const seen = new Set();
  for (const item of merged) {
    if (seen.has(item)) wrong.push(`${item} appears more than once`);
    seen.add(item);
  }
  const wanted = new Set(reference);
  for (const item of reference) if (!seen.has(item)) wrong.push(`${item} is missing`);
  for (const item of seen) if (!wanted.has(item)) wrong.push(`${item} is not in the reference list`);
  if (wrong.length === 0) {
    const at = reference.findIndex((item, i) => merged[i] !== item);
    if (at >= 0) wrong.push(`out of order from position ${at}: ${merged[at]} where the reference has ${reference[at]}`);
  }
  return wrong;
}

/** Apollo wraps what the server said; unwrap it so the report shows the server's errors. */
function explain(error) {
  const server = error.graphQLErrors?.length ? error.graphQLErrors : error.networkError?.result?.errors;
  if (server?.length) {
    const status = error.networkError?.statusCode ? `HTTP ${error.networkError.statusCode}, ` : '';
    return `${status}the server refused the page:\n${describeErrors(server)}`;
  }
  return (error.networkError ?? error).message;
}
