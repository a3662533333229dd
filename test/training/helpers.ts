/** Helpers for the training suites: temp folders, shell jobs, waiting for a job state. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { JobStatus, TrainingBackend, TrainingJob } from '../../activities/training';
import { startCli } from '../support/cli';

const made: string[] = [];

/** A new temp folder, removed after the run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-training-${prefix}-`));
  made.push(dir);
  return dir;
}

after(function () {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A job running `script` with `/bin/sh -c` in `codeDir`. */
export function shellJob(codeDir: string, script: string, extra: Partial<TrainingJob> = {}): TrainingJob {
  return {
    name: 'test-job',
    command: ['/bin/sh', '-c', script],
    codeDir,
    params: {},
    outputPrefix: 'experiments/test/run-1/trials/0',
    ...extra,
  };
}

/** Polls `status` until the job is in one of `states` (fails after `timeoutMs`). */
export async function waitFor(
  backend: TrainingBackend,
  jobId: string,
  states: JobStatus['state'][],
  timeoutMs = 10_000,
): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  let status = await backend.status(jobId);
  while (!states.includes(status.state)) {
    assert.ok(Date.now() < deadline, `job ${jobId} still ${JSON.stringify(status)}, expected ${states.join('|')}`);
    await sleep(50);
    status = await backend.status(jobId);
  }
  return status;
}

/** Waits until `file` exists. */
export async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    assert.ok(Date.now() < deadline, `${file} never appeared`);
    await sleep(25);
  }
}

/** Whether `pid` is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A shell loop that blocks until `file` (relative to the code folder) exists. */
export const untilFile = (file: string) => `while [ ! -f ${file} ]; do sleep 0.05; done`;

/** Starts `mlops worker [args]` as its own process and resolves once it polls. */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ChildProcess> {
  const worker = startCli(['worker', ...args], env);
  let log = '';
  worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 45_000;
  while (!/worker polling/.test(log)) {
    if (worker.exitCode !== null) throw new Error(`worker exited early:\n${log}`);
    if (Date.now() > deadline) {
      // not the caller's to stop: it never got the process
      worker.kill('SIGKILL');
      throw new Error(`worker did not start:\n${log}`);
    }
    await sleep(200);
  }
  return worker;
}
