/**
 * The commands the demo runs as a user would: `mlops …` and the example's Python scripts, each
 * printed before it runs, and the project's tool installer when something the demo needs is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../../common/errors';
import { REPO_ROOT, TOOLS_BIN, venvPackage } from '../../../lib/tools';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const MLOPS = path.join(REPO_ROOT, 'bin', 'mlops.js');

/** Prints one line of progress. */
export type Say = (line: string) => void;

/**
 * Runs the project's tool installer for what the demo needs and is missing: the temporal CLI and the
 * venv, and MinIO when the store is S3 (not the test server, the browser or the Kubernetes tools).
 */
export function ensureTools(say: Say, store: 'file' | 's3' = 'file'): void {
  const needed: [tool: string, file: string][] = [
    ['temporal', path.join(TOOLS_BIN, 'temporal')],
    ['venv', PYTHON],
    ['venv', venvPackage('kserve') ?? path.join(REPO_ROOT, '.venv', 'lib', '<python>', 'site-packages', 'kserve')],
  ];
  if (store === 's3') needed.push(['minio', path.join(TOOLS_BIN, 'minio')]);
  const missing = needed.filter(([, file]) => !fs.existsSync(file));
  if (missing.length === 0) {
    say('   all there (.tools/bin, .venv)');
    return;
  }
  const only = [...new Set(missing.map(([tool]) => tool))].join(',');
  say(
    `   missing ${missing.map(([, file]) => path.relative(REPO_ROOT, file)).join(', ')}: running infra/dev/install-tools --only ${only}`,
  );
  const r = spawnSync(path.join(REPO_ROOT, 'infra', 'dev', 'install-tools'), ['--only', only], {
    stdio: 'inherit',
    cwd: REPO_ROOT,
  });
  if (r.status !== 0) throw new UserError('infra/dev/install-tools failed (see above)', 1);
}

/** Runs `mlops <args>` as the user would; prints the command, and its output when `show`. Returns stdout. */
export async function mlops(args: string[], say: Say, show = false, mayFail = false): Promise<string> {
  const shown = args.filter((a) => a !== '--json').map((a) => (path.isAbsolute(a) ? path.relative(REPO_ROOT, a) : a));
  say(`   $ mlops ${shown.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const r = await run(process.execPath, [MLOPS, ...args]);
  const output = `${r.stdout}${r.stderr}`.trimEnd();
  if (show || !args.includes('--json'))
    for (const line of r.stdout.trimEnd().split('\n')) if (line.trim()) say(`     ${line}`);
  if (r.code !== 0 && !mayFail) throw new UserError(`mlops ${args.join(' ')} failed (exit ${r.code}):\n${output}`, 1);
  return r.stdout;
}

/** Runs `.venv/bin/python <args>` in the repository; prints the command unless `quiet`. */
export async function python(args: string[], say: Say, quiet = false): Promise<void> {
  if (!quiet)
    say(`   $ .venv/bin/python ${args.map((a) => (path.isAbsolute(a) ? path.relative(REPO_ROOT, a) : a)).join(' ')}`);
  const r = await run(PYTHON, args);
  if (r.code !== 0) throw new UserError(`python ${args.join(' ')} failed:\n${r.stderr}`, 1);
}

/** Runs a program in the repository without blocking the event loop (the traffic keeps flowing). */
function run(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
