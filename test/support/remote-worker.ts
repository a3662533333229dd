/**
 * A worker on "another host": `mlops worker <args>` as its own process, started from a folder of
 * the test's choosing (an empty one outside the checkout), for tests of runs that travel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MLOPS_BIN } from './cli';

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Starts `mlops worker <args>` with `cwd` as its working directory; resolves once it polls. */
export async function startWorkerIn(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<ChildProcess> {
  const worker = spawn(process.execPath, [MLOPS_BIN, 'worker', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  worker.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/worker polling/.test(log)) {
    if (worker.exitCode !== null) throw new Error(`worker exited early (${worker.exitCode}):\n${log}`);
    if (Date.now() > deadline) {
      worker.kill('SIGKILL');
      throw new Error(`worker did not start:\n${log}`);
    }
    await sleep(200);
  }
  return worker;
}

/** Stops a worker started by `startWorkerIn`: SIGTERM, then SIGKILL after 15 s. */
export async function stopWorker(worker: ChildProcess | undefined): Promise<void> {
  if (!worker || worker.exitCode !== null) return;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => worker.kill('SIGKILL'))]);
}
