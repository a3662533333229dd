/**
 * For fault tests that kill the worker: a `mlops worker` process the test SIGKILLs and starts again
 * (from a workflow bundle built once, so a restart takes seconds), gates that hold a pipeline's
 * jobs at their start until the test lets them go (so "kill the worker while the job runs" is a
 * fact, not a guess about timing), and the attempts of each activity read from a run's history.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startWorkerProcess } from '../training/helpers';
import { runCli } from './cli';

/** A worker process that can be SIGKILLed and started again with the same environment. */
export class KillableWorker {
  private process: ChildProcess | undefined;
  /** Pids of every worker process started, in order. */
  readonly pids: number[] = [];

  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly bundle: string,
  ) {}

  /** Builds the workflow bundle into `bundleFile` (once) and starts the first worker. */
  static async start(env: NodeJS.ProcessEnv, bundleFile: string): Promise<KillableWorker> {
    if (!fs.existsSync(bundleFile)) {
      const built = await runCli(['bundle', '-o', bundleFile], env, 120_000);
      assert.equal(built.code, 0, built.stderr);
    }
    const worker = new KillableWorker(env, bundleFile);
    await worker.restart();
    return worker;
  }

  /** SIGKILLs the running worker (no drain, no goodbye) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a new worker process; resolves once it polls. */
  async restart(): Promise<void> {
    assert.equal(this.process, undefined, 'a worker is still running');
    this.process = await startWorkerProcess(this.env, ['--bundle', this.bundle]);
    this.pids.push(this.process.pid!);
  }

  /** SIGKILLs the worker, then starts another. */
  async killAndRestart(): Promise<void> {
    await this.kill();
    await this.restart();
  }

  /** Stops the running worker at the end of a suite. */
  stop(): Promise<void> {
    return this.kill();
  }
}

const GATE_SCRIPT = `# <step> <command…>: records that a <step> job started, waits for the test to open the gate, runs the command
# (the gates are the files beside this script: a job gets none of the worker's environment)
gates=$(dirname "$0")
echo "$1" >> "$gates/starts"
while [ ! -f "$gates/open-$1" ]; do sleep 0.05; done
shift
exec "$@"
`;

/**
 * Gates for a pipeline's jobs: `entrypoint(step, command)` wraps a command so that each job
 * appends `step` to a starts file (beside the script), then waits until `open(step)`.
 */
export class JobGates {
  private readonly script: string;
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.script = path.join(dir, 'gate.sh');
    fs.writeFileSync(this.script, GATE_SCRIPT);
  }

  /** `command` behind the gate of `step`. */
  entrypoint(step: string, command: string[]): string[] {
    return ['sh', this.script, step, ...command];
  }

  open(...steps: string[]): void {
    for (const step of steps) fs.writeFileSync(path.join(this.dir, `open-${step}`), '');
  }

  close(...steps: string[]): void {
    for (const step of steps) fs.rmSync(path.join(this.dir, `open-${step}`), { force: true });
  }

  /** The steps of every job started so far, in order (one line per process launched). */
  starts(): string[] {
    const file = path.join(this.dir, 'starts');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  }

  /** Waits until `count` jobs of `step` have started in all. */
  async waitForStarts(step: string, count: number, timeoutMs = 120_000): Promise<void> {
    await waitUntil(
      `${count} ${step} jobs started`,
      timeoutMs,
      () => this.starts().filter((s) => s === step).length >= count,
    );
  }
}

/** Polls `check` every 100 ms until it returns a value other than `undefined`/`false`; a thrown error counts as not yet. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(100);
  }
}

/** Whether an activity of `type` of the run is being executed by a worker right now. */
export async function isRunning(handle: WorkflowHandle, type: string): Promise<boolean> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).some(
    (a) =>
      a.activityType?.name === type &&
      a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  );
}

/**
 * The attempt on which each activity of a run last started, by activity type, in schedule order
 * (a completed activity's started event records the attempt that completed it).
 */
export async function activityAttempts(handle: WorkflowHandle): Promise<Record<string, number[]>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const types = new Map<string, string>();
  const attempts: Record<string, number[]> = {};
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = types.get(String(started.scheduledEventId)) ?? '?';
      (attempts[type] ??= []).push(started.attempt ?? 1);
    }
  }
  return attempts;
}
