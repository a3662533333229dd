/**
 * CLI start-up: how long `mlops --help` and `mlops status --help` take, as a user's shell runs them
 * (`node bin/mlops.js …`, the build output), beside a bare `node -e 0` — the floor any Node CLI
 * pays. Each case runs N times after a warm-up, alternating with its anchor; medians.
 * Run alone with `npx tsx bench/run.ts cli`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../lib/tools';
import type { BenchRow, Measurement } from './measure';

const RUNS = 15;
const HELP_TARGET_MS = 300;
const MLOPS = path.join(REPO_ROOT, 'bin', 'mlops.js');

export const CLI_BENCH_NOTES =
  `\`node bin/mlops.js <args>\` started ${RUNS} times after a warm-up, alternating with \`node -e 0\` ` +
  '(the anchor: starting Node itself), median wall time of the whole process. The top-level help and ' +
  'unknown commands load no command module (client/commands/index.ts holds the names and summaries); ' +
  '`mlops status --help` loads the status command and what it imports. Reproduce with ' +
  '`npm run build && npx tsx bench/run.ts cli`.';

function wall(args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The case and the anchor, alternated so both see the same machine load. */
function sideBySide(name: string, args: string[]): { ours: Measurement; anchor: Measurement } {
  wall([MLOPS, ...args]);
  wall(['-e', '0']);
  const ours: number[] = [];
  const anchor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(wall([MLOPS, ...args]));
    anchor.push(wall(['-e', '0']));
  }
  const m = (n: string, times: number[]): Measurement => ({
    name: n,
    ms: median(times),
    units: 1,
    unitName: 'start',
    latency: true,
  });
  return { ours: m(name, ours), anchor: m('node -e 0', anchor) };
}

export async function runCliBench(): Promise<BenchRow[]> {
  const help = sideBySide('mlops --help', ['--help']);
  const status = sideBySide('mlops status --help', ['status', '--help']);
  return [
    {
      scenario: '`mlops --help` (no command module loaded)',
      ...help,
      target: `< ${HELP_TARGET_MS} ms`,
      met: help.ours.ms < HELP_TARGET_MS,
      detail: `${(help.ours.ms - help.anchor.ms).toFixed(0)} ms above bare Node`,
    },
    {
      scenario: '`mlops status --help` (the status command and its imports)',
      ...status,
      target: '',
      detail: `${(status.ours.ms - status.anchor.ms).toFixed(0)} ms above bare Node`,
    },
  ];
}
