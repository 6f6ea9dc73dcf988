// Proves the app's GraphQL documents are valid against schema.graphql, the check
// graphql-codegen or an IDE plugin would make, without a build step: every *.js module under
// --operations is imported, and each export must be a document string that is either exactly
// one operation named like the export, or fragments only (to be interpolated into operations).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kind, NoUnusedFragmentsRule, parse, specifiedRules, validate } from 'graphql';
import { DEFAULT_SCHEMA, REPO_ROOT, cli, finish, loadSchema, run, skip } from './lib/cli.mjs';

// A fragments-only export is used by operations that interpolate it, never on its own.
const FRAGMENT_RULES = specifiedRules.filter((rule) => rule !== NoUnusedFragmentsRule);

const USAGE = `usage: node tests/js/validate-documents.mjs [--schema schema.graphql] [--operations app/src/operations]

Imports every *.js module under --operations (default: the repository's app/src/operations) and
validates each exported GraphQL document against --schema (default: the repository's
schema.graphql). A missing or empty folder is skipped.`;

run('validate-documents', async () => {
  const args = cli(USAGE, {
    schema: { type: 'string', default: DEFAULT_SCHEMA },
    operations: { type: 'string', default: path.join(REPO_ROOT, 'app/src/operations') },
  });
  const folder = path.resolve(args.operations);
  if (!fs.existsSync(folder)) skip(`no operations folder at ${shown(folder)}: there are no app documents to validate`);
  const modules = fs.readdirSync(folder, { recursive: true })
    .filter((file) => file.endsWith('.js') && !file.split(path.sep).includes('node_modules'))
    .sort()
    .map((file) => path.join(folder, file));
  if (modules.length === 0) skip(`no *.js modules under ${shown(folder)}: there are no app documents to validate`);
  const schema = loadSchema(path.resolve(args.schema));

  const problems = [];
  const operations = new Map();
  let documents = 0;
  for (const file of modules) {
    const where = shown(file);
    let exports;
    try {
      exports = await import(pathToFileURL(file).href);
    } catch (error) {
      problems.push(`${where}: cannot be imported: ${error.message}`);
      continue;
    }
    const found = [];
    for (const [name, value] of Object.entries(exports)) {
      const problem = (message) => problems.push(`${where} export ${name}: ${message}`);
      if (typeof value !== 'string') {
        problem(`is ${value === null ? 'null' : `a ${typeof value}`}, not a GraphQL document string`);
        continue;
      }
      let document;
      try {
        document = parse(value);
      } catch (error) {
        problem(located(error));
        continue;
      }
      documents += 1;
      const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      if (ops.length === 0 && document.definitions.every((d) => d.kind === Kind.FRAGMENT_DEFINITION)) {
        validate(schema, document, FRAGMENT_RULES).forEach((error) => problem(located(error)));
        found.push(`${name} (fragments)`);
        continue;
      }
      if (ops.length !== 1) {
        problem(`has ${ops.length} operations; a module exports one operation per constant`);
      } else if (!ops[0].name) {
        problem(`the ${ops[0].operation} is anonymous; name it ${name}`);
      } else if (ops[0].name.value !== name) {
        problem(`the ${ops[0].operation} is named ${ops[0].name.value}; it must be exported under its own name`);
      } else if (operations.has(name)) {
        // Operation names identify documents to clients, caches and server logs.
        problem(`the operation name ${name} is already used in ${operations.get(name)}`);
      } else {
        operations.set(name, where);
      }
      validate(schema, document).forEach((error) => problem(located(error)));
      found.push(ops.length === 1 ? `${name} (${ops[0].operation})` : name);
    }
    console.log(`${where}: ${found.length ? found.join(', ') : 'no document exports'}`);
  }
  finish('validate-documents', problems,
    `${documents} documents in ${modules.length} modules are valid against ${shown(path.resolve(args.schema))}`);
});

/** A GraphQL error with its line and column inside the document string. */
function located(error) {
  const at = error.locations?.map((l) => `${l.line}:${l.column}`).join(', ');
  return at ? `${error.message} (at ${at})` : error.message;
}

function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative || '.';
}
