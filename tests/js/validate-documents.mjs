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
  // export name → document text → the modules exporting it. A barrel (`export * from`) exports
  // the same strings again; each document is checked once and reported with all its modules.
  const byName = new Map();
  for (const file of modules) {
    const where = shown(file);
    let exports;
    try {
      exports = await import(pathToFileURL(file).href);
    } catch (error) {
      problems.push(`${where}: cannot be imported: ${error.message}`);
      continue;
    }
    const names = Object.keys(exports);
    console.log(`${where}: ${names.length ? names.join(', ') : 'no exports'}`);
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'string') {
        problems.push(`${where} export ${name}: is ${value === null ? 'null' : `a ${typeof value}`}, not a GraphQL document string`);
        continue;
      }
      if (!byName.has(name)) byName.set(name, new Map());
      const texts = byName.get(name);
      texts.set(value, [...(texts.get(value) ?? []), where]);
    }
  }

  let documents = 0;
  for (const [name, texts] of byName) {
    if (texts.size > 1) {
      // Names identify operations to clients, caches and server logs, and `export *` silently
      // drops a name two modules both export.
      problems.push(`export ${name}: different documents under one name in ${[...texts.values()].flat().join(' and ')}`);
    }
    for (const [text, files] of texts) {
      documents += 1;
      for (const message of check(schema, name, text)) problems.push(`${files.join(', ')} export ${name}: ${message}`);
    }
  }
  finish('validate-documents', problems,
    `${documents} documents in ${modules.length} modules are valid against ${shown(path.resolve(args.schema))}`);
});

/** What is wrong with one exported document: its shape, then graphql-js validation. */
function check(schema, name, text) {
  let document;
  try {
    document = parse(text);
  } catch (error) {
    return [located(error)];
  }
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length === 0 && document.definitions.every((d) => d.kind === Kind.FRAGMENT_DEFINITION)) {
    return validate(schema, document, FRAGMENT_RULES).map(located);
  }
  const shape = [];
  if (ops.length !== 1) shape.push(`has ${ops.length} operations; a module exports one operation per constant`);
  else if (!ops[0].name) shape.push(`the ${ops[0].operation} is anonymous; name it ${name}`);
  else if (ops[0].name.value !== name) {
    shape.push(`the ${ops[0].operation} is named ${ops[0].name.value}; it must be exported under its own name`);
  }
  return [...shape, ...validate(schema, document).map(located)];
}

/** A GraphQL error with its line and column inside the document string. */
function located(error) {
  const at = error.locations?.map((l) => `${l.line}:${l.column}`).join(', ');
  return at ? `${error.message} (at ${at})` : error.message;
}

function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative || '.';
}
