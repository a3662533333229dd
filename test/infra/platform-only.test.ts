/**
 * The worker image ships the platform without examples/ (Dockerfile): the CLI, with every command
 * and the worker's modules, must load without reading a file of examples/. A child process loads
 * them as bin/mlops.js does and lists what it required.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';

const EXAMPLES = path.join(REPO_ROOT, 'examples') + path.sep;

/**
 * The files of the repository a fresh `node` process required after loading `modules` through tsx
 * and building the CLI with every command (commands load lazily: buildFullProgram loads them all).
 */
function loadedFiles(modules: string[]): string[] {
  const script = [
    "require('tsx/cjs');",
    `for (const m of ${JSON.stringify(modules)}) require(m);`,
    `require(${JSON.stringify(path.join(REPO_ROOT, 'client', 'cli.ts'))}).buildFullProgram();`,
    'process.stdout.write(JSON.stringify(Object.keys(require.cache)));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).filter((f) => f.startsWith(REPO_ROOT + path.sep));
}

describe('the platform without examples/', function () {
  this.timeout(60_000);

  it('loads the CLI, every command and the worker without a file of examples/', () => {
    const modules = ['client/cli.ts', 'client/commands/index.ts', 'worker/index.ts'].map((m) =>
      path.join(REPO_ROOT, m),
    );
    const loaded = loadedFiles(modules);
    // the check sees what it must: the CLI's commands, among them the demo, are loaded
    assert.ok(loaded.includes(path.join(REPO_ROOT, 'client', 'commands', 'demo.ts')), 'the demo command is loaded');
    assert.ok(loaded.includes(path.join(REPO_ROOT, 'client', 'commands', 'worker.ts')), 'the worker command is loaded');
    assert.deepEqual(
      loaded.filter((f) => f.startsWith(EXAMPLES)),
      [],
      'loaded from examples/ (the worker image has none)',
    );
  });
});
