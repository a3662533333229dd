/**
 * The load half of bench/orchestration.bench.ts: `LOAD_RUNS` real `retrainPipeline` runs started at
 * once against one `mlops worker` process (bin/mlops.js, both task queues), each its own pipeline,
 * model and dataset, trained and evaluated by shell one-liners; the worker's peak memory is read
 * from /proc/<pid>/status (VmHWM) before it is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MlStage } from '../common/search-attributes';
import { pipelineSpecSchema } from '../common/schemas/spec';
import { REPO_ROOT } from '../lib/tools';
import { retrainPipeline } from '../workflows/retrain-pipeline';

/** Concurrent pipeline runs. */
export const LOAD_RUNS = 200;
/** All runs must end within this; runs still going then are counted unfinished and terminated. */
export const LOAD_TIME_LIMIT_MS = 5 * 60_000;

const QUEUE = 'bench-load';
const TRAINING_QUEUE = 'bench-load-training';
const WORKER_READY_MS = 120_000;

/** Writes the final metrics a training job reports. */
const TRAIN_COMMAND = ['sh', '-c', 'echo \'{"loss": 0.1}\' > "$MLOPS_OUTPUT_DIR/metrics.json"'];
/** Writes the smallest valid evaluation.json: numeric top-level metrics (activities/evaluation/evaluation-file.ts). */
const EVALUATE_COMMAND = ['sh', '-c', 'echo \'{"auc": 0.9, "accuracy": 0.8}\' > "$MLOPS_OUTPUT_DIR/evaluation.json"'];

export interface LoadResult {
  runs: number;
  approved: number;
  failed: number;
  unfinished: number;
  /** From the first start to the last run's end (or the time limit). */
  wallMs: number;
  perMinute: number;
  /** The worker's peak resident set over its life (VmHWM), start-up included. */
  peakRssMb: number;
  /** The largest resident set sampled (every 250 ms) while the runs went on. */
  loadRssMb: number;
  /** The worker's resident set once it polls (the workflow bundle built), before any run. */
  readyRssMb: number;
  /** One run alone on the warm worker, before the load. */
  singleMs: number;
  /** Distinct failure messages with their counts. */
  failures: string[];
}

export async function runLoad(env: TestWorkflowEnvironment, work: string): Promise<LoadResult> {
  const dataDir = path.join(work, 'data');
  const codeDir = path.join(work, 'code');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(codeDir, { recursive: true });
  const csv = 'x,y\n0.1,0\n0.5,1\n0.9,1\n';
  fs.writeFileSync(path.join(dataDir, 'train.csv'), csv);
  fs.writeFileSync(path.join(dataDir, 'holdout.csv'), csv);
  fs.writeFileSync(path.join(codeDir, 'README'), 'the training and evaluation commands are in the spec\n');

  const worker = await startWorker(env, work);
  try {
    const readyRssMb = memoryMb(worker.pid!, 'VmRSS');
    const singleMs = await timeRuns(env, ['load-warm'], dataDir, codeDir, LOAD_TIME_LIMIT_MS).then((r) => {
      if (r.approved !== 1) throw new Error(`the warm-up run did not succeed: ${r.failures.join('; ')}`);
      return r.wallMs;
    });
    const names = Array.from({ length: LOAD_RUNS }, (_, i) => `load-${String(i + 1).padStart(3, '0')}`);
    // VmHWM also holds the start-up peak (building the workflow bundle), so the load's own peak is sampled
    let loadRssMb = 0;
    const sampler = setInterval(() => {
      if (worker.exitCode === null) loadRssMb = Math.max(loadRssMb, memoryMb(worker.pid!, 'VmRSS'));
    }, 250);
    const result = await timeRuns(env, names, dataDir, codeDir, LOAD_TIME_LIMIT_MS).finally(() =>
      clearInterval(sampler),
    );
    const peakRssMb = memoryMb(worker.pid!, 'VmHWM');
    return {
      runs: LOAD_RUNS,
      ...result,
      perMinute: (result.approved / result.wallMs) * 60_000,
      peakRssMb,
      loadRssMb,
      readyRssMb,
      singleMs,
    };
  } finally {
    await stopWorker(worker);
  }
}

/** Starts every run at once and waits for all (up to `limitMs`); counts outcomes. */
async function timeRuns(
  env: TestWorkflowEnvironment,
  names: string[],
  dataDir: string,
  codeDir: string,
  limitMs: number,
): Promise<{ approved: number; failed: number; unfinished: number; wallMs: number; failures: string[] }> {
  const started = performance.now();
  const handles: WorkflowHandle<typeof retrainPipeline>[] = await Promise.all(
    names.map((name) =>
      env.client.workflow.start(retrainPipeline, {
        workflowId: `retrain/${name}/${new Date().toISOString()}`,
        taskQueue: QUEUE,
        args: [
          {
            spec: pipelineSpecSchema.parse({
              name,
              model: name,
              dataset: { name, source: dataDir },
              training: { entrypoint: TRAIN_COMMAND, codeDir },
              evaluation: { entrypoint: EVALUATE_COMMAND, codeDir, primaryMetric: 'auc' },
            }),
            trigger: 'manual',
            actor: 'bench',
            trainingTaskQueue: TRAINING_QUEUE,
          },
        ],
        staticSummary: `retrain ${name} · load bench`,
      }),
    ),
  );
  let approved = 0;
  let failed = 0;
  let lastEnd = started;
  const failures = new Map<string, number>();
  const settled = new Set<number>();
  // unref'd: once every run has ended, this timer must not keep the bench process alive
  const deadline = sleep(limitMs, undefined, { ref: false }).then(() => 'timeout' as const);
  const ended = await Promise.race([
    Promise.all(
      handles.map(async (h, i) => {
        try {
          const out = await h.result();
          if (out.outcome === 'approved') approved++;
          else {
            failed++;
            failures.set(`ended ${out.outcome}`, (failures.get(`ended ${out.outcome}`) ?? 0) + 1);
          }
        } catch (err) {
          failed++;
          const message = innermost(err);
          failures.set(message, (failures.get(message) ?? 0) + 1);
        }
        settled.add(i);
        lastEnd = performance.now();
      }),
    ),
    deadline,
  ]);
  const counts = { approved, failed, unfinished: names.length - approved - failed };
  const report = [...failures].map(([message, count]) => `${count}× ${message}`);
  if (ended === 'timeout') {
    const open = handles.filter((_, i) => !settled.has(i));
    report.push(...(await Promise.all(open.map(whereStuck))));
    await Promise.allSettled(open.map((h) => h.terminate('load bench time limit')));
  }
  return {
    ...counts,
    wallMs: counts.unfinished > 0 ? limitMs : lastEnd - started,
    failures: report,
  };
}

/** temporal.api.enums.v1.PendingActivityState */
const ACTIVITY_STATES: Record<number, string> = { 1: 'scheduled', 2: 'started', 3: 'cancel requested', 4: 'paused' };

/** What an unfinished run waits on: its stage and pending activities (type, attempt, state). */
async function whereStuck(handle: WorkflowHandle): Promise<string> {
  try {
    const d = await handle.describe();
    const pending = (d.raw.pendingActivities ?? []).map(
      (a) =>
        `${a.activityType?.name ?? '?'} (attempt ${a.attempt ?? '?'}, ${ACTIVITY_STATES[a.state ?? 0] ?? a.state}` +
        `${a.lastFailure?.message ? `, last failure: ${a.lastFailure.message.slice(0, 80)}` : ''})`,
    );
    return (
      `unfinished ${handle.workflowId}: stage ${d.typedSearchAttributes.get(MlStage) ?? '?'}, ` +
      `${d.historyLength} events, pending ${pending.length > 0 ? pending.join(', ') : 'no activity'}`
    );
  } catch (err) {
    return `unfinished ${handle.workflowId}: not described (${innermost(err)})`;
  }
}

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return (e?.message ?? String(err)).slice(0, 200);
}

/** `mlops worker` on the bench's server, store and home; resolves once it polls. */
async function startWorker(env: TestWorkflowEnvironment, work: string): Promise<ChildProcess> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.connection.options.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    MLOPS_HOME: path.join(work, 'home'),
    MLOPS_STORE: `file://${path.join(work, 'store')}`,
    MLOPS_TASK_QUEUE: QUEUE,
    MLOPS_TRAINING_TASK_QUEUE: TRAINING_QUEUE,
  };
  // the bench's client sends plain payloads
  delete childEnv.MLOPS_CODEC_KEYS;
  delete childEnv.MLOPS_CODEC_KEY_FILE;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'mlops.js'), 'worker'], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start in time:\n${stderr}`)), WORKER_READY_MS);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited ${code}:\n${stderr}`));
    });
  });
  // keep draining stderr so the worker never blocks on a full pipe
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killed = await Promise.race([
    exited.then(() => true),
    sleep(30_000, undefined, { ref: false }).then(() => false),
  ]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A memory figure of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak resident), in MB. */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}
