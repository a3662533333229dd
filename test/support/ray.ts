/**
 * ONE real local Ray head per test run, from the project's venv (`npm run setup`), started lazily by
 * the first suite that calls `testRay()` (suites without Ray pay nothing) and stopped by the root
 * afterAll hook (test/hooks.ts). The dashboard (Jobs REST API) listens on 127.0.0.1 only; usage
 * stats are off; every port is picked free so parallel runs do not collide.
 *
 * `ray start --head --block` runs as a child leading its own process group: stopping it signals that
 * group only (SIGTERM, which makes it shut its processes down, then SIGKILL), never other Ray
 * instances on the machine, which a name-based `ray stop` would hit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../lib/ports';
import { REPO_ROOT } from '../../lib/tools';
import { testStack } from './stack';

export interface TestRay {
  /** The dashboard / Jobs API URL, e.g. http://127.0.0.1:41234 (what MLOPS_RAY_ADDRESS takes). */
  address: string;
  /** Ray's temp folder of this head (sessions, logs). */
  tempDir: string;
  /** Seconds `ray start` took until the Jobs API answered. */
  startSeconds: number;
}

const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');
const START_TIMEOUT_MS = 90_000;

let starting: Promise<TestRay> | undefined;
let head: ChildProcess | undefined;

/** The test run's Ray head, started on first use. */
export function testRay(): Promise<TestRay> {
  starting ??= startRay();
  return starting;
}

async function startRay(): Promise<TestRay> {
  const ray = path.join(VENV_BIN, 'ray');
  if (!fs.existsSync(ray))
    throw new Error(`${ray} is missing: run npm run setup (it installs ray from requirements.txt)`);
  // Ray's socket paths must stay short (AF_UNIX limit): a short folder under the run's tmp
  const tempDir = fs.mkdtempSync(path.join(testStack().tmpDir, 'ray-'));
  const names = ['port', 'dashboard', 'client', 'agentHttp', 'agentGrpc', 'metrics', 'runtimeEnv', 'node', 'object'];
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()] as const)));
  const args = [
    'start',
    '--head',
    '--block',
    `--port=${ports.port}`,
    `--dashboard-port=${ports.dashboard}`,
    '--dashboard-host=127.0.0.1',
    '--include-dashboard=true',
    `--ray-client-server-port=${ports.client}`,
    `--dashboard-agent-listen-port=${ports.agentHttp}`,
    `--dashboard-agent-grpc-port=${ports.agentGrpc}`,
    `--metrics-export-port=${ports.metrics}`,
    `--runtime-env-agent-port=${ports.runtimeEnv}`,
    `--node-manager-port=${ports.node}`,
    `--object-manager-port=${ports.object}`,
    '--node-ip-address=127.0.0.1',
    '--num-cpus=2',
    '--num-gpus=0',
    `--object-store-memory=${100 * 1024 * 1024}`,
    `--temp-dir=${tempDir}`,
    '--disable-usage-stats',
  ];
  const log = fs.openSync(path.join(tempDir, 'ray-start.log'), 'a');
  const started = Date.now();
  head = spawn(ray, args, {
    cwd: tempDir,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      // jobs' `python` entrypoint is the venv's interpreter
      PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
      RAY_USAGE_STATS_ENABLED: '0',
      // stopped jobs get SIGKILL after this grace (default 3 s)
      RAY_JOB_STOP_WAIT_TIME_S: '2',
    },
  });
  fs.closeSync(log);
  const address = `http://127.0.0.1:${ports.dashboard}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (head.exitCode !== null) throw new Error(`ray start exited with ${head.exitCode}:\n${startLog(tempDir)}`);
    if (await jobsApiAnswers(address)) break;
    if (Date.now() > deadline) throw new Error(`the Ray head did not come up in 90 s:\n${startLog(tempDir)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { address, tempDir, startSeconds: (Date.now() - started) / 1000 };
}

/** Stops the head if this run started one (root afterAll hook). */
export async function stopTestRay(): Promise<void> {
  const child = head;
  head = undefined;
  starting = undefined;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child.pid, 'SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
  // whatever of the group is left (or everything, if the graceful stop hung)
  signalGroup(child.pid, 'SIGKILL');
  if (!graceful) await Promise.race([exited, sleep(5_000)]);
}

async function jobsApiAnswers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`${address}/api/jobs/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

function startLog(tempDir: string): string {
  try {
    return fs.readFileSync(path.join(tempDir, 'ray-start.log'), 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
