// Proves the app's JavaScript type-checks (JSDoc types, checkJs) with the locked TypeScript:
// `tsc -p <project> --noEmit`, exactly as a developer would run it.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT, cli, finish, run, runTool, skip, usageError } from './lib/cli.mjs';

const USAGE = `usage: node tests/js/typecheck.mjs [--project app/jsconfig.json]

Runs TypeScript ${ts.version}'s tsc -p <project> --noEmit (default project: the repository's
app/jsconfig.json); skips when the project file does not exist.`;

run('typecheck', async () => {
  const args = cli(USAGE, { project: { type: 'string', default: path.join(REPO_ROOT, 'app/jsconfig.json') } });
  const project = path.resolve(args.project);
  if (!fs.existsSync(project)) skip(`no TypeScript project at ${project}: there is no app to type-check`);

  // Read the project the way tsc will, to refuse a broken one early and say what is checked.
  const diagnostics = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(project, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => diagnostics.push(d),
  });
  if (!parsed) usageError(`${project}: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText, '\n')}`);
  if (parsed.errors.length) {
    finish('typecheck', parsed.errors.map((d) => `${project}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`));
  }
  console.log(`${project}: ${files(parsed.fileNames.length)}, TypeScript ${ts.version}`);
  if (!parsed.options.checkJs) {
    console.log('NOTE: checkJs is off, so only .js files that start with // @ts-check are checked');
  }

  const checked = runTool('typescript', 'tsc', ['-p', project, '--noEmit', '--pretty', 'false']);
  const output = `${checked.stdout}${checked.stderr}`.trim();
  const errors = output.split('\n').filter((line) => /error TS\d+:/.test(line));
  const problems = checked.status === 0 ? [] : errors.length ? errors : [`tsc exited with ${checked.status}: ${output}`];
  finish('typecheck', problems, `${files(parsed.fileNames.length)} type-check`);
});

function files(n) {
  return `${n} file${n === 1 ? '' : 's'}`;
}
