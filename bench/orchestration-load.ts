/**
 * The load half of bench/orchestration.bench.ts: many real `retrainPipeline` runs started at once
 * against real `mlops worker` processes (bin/mlops.js, every task queue), on a dev server started as
 * `mlops dev up` starts it (bench/dev-server.ts), each run its own pipeline, model and dataset,
 * trained and evaluated by shell one-liners. Two scenarios: `BASELINE_RUNS` on one worker (the
 * earlier row, to show growth) and `LOAD_RUNS` on `LOAD_WORKERS` workers.
 *
 * After the runs it checks what a user would notice: every started run ended approved, none lost
 * (each started id closed), none duplicated (one run per pipeline in the server's visibility, one
 * registered version per model in the store), no activity retried; and it reports each run's
 * latency from its history (start to close), the workflow tasks' schedule-to-start latency (from
 * the same histories: WorkflowTaskScheduled to WorkflowTaskStarted), each worker's memory (VmRSS
 * sampled, VmHWM from /proc/<pid>/status), the server's CPU time over the load (/proc/<pid>/stat)
 * and the warnings its log got meanwhile, grouped by message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { ModelRegistry } from '../activities/registry/registry';
import { createBlobStore } from '../activities/storage';
import { MlStage } from '../common/search-attributes';
import { pipelineSpecSchema } from '../common/schemas/spec';
import { REPO_ROOT } from '../lib/tools';
import { retrainPipeline } from '../workflows/retrain-pipeline';
import { pool } from './measure';
import { processCpuSeconds, stopProcess, type StackLikeServer } from './dev-server';

/** Concurrent runs of the main load (`MLOPS_BENCH_LOAD_RUNS` runs fewer while developing). */
export const LOAD_RUNS = positiveEnv('MLOPS_BENCH_LOAD_RUNS') ?? 1000;
/** `mlops worker` processes of the main load, each polling every queue. */
export const LOAD_WORKERS = 2;
/** Runs of the one-worker row kept from before, so growth shows (at most the main load's). */
export const BASELINE_RUNS = Math.min(200, LOAD_RUNS);
/** Every run of a scenario must end within this; runs still going then are counted unfinished and terminated. */
export const LOAD_TIME_LIMIT_MS = 20 * 60_000;

const QUEUE = 'bench-load';
const TRAINING_QUEUE = 'bench-load-training';
const SERVING_QUEUE = 'bench-load-serving';
const WORKER_READY_MS = 120_000;
const RSS_SAMPLE_MS = 250;
/** Histories, descriptions and registry reads after the load, at most this many at once. */
const CHECK_CONCURRENCY = 8;

/** Writes the final metrics a training job reports. */
const TRAIN_COMMAND = ['sh', '-c', 'echo \'{"loss": 0.1}\' > "$MLOPS_OUTPUT_DIR/metrics.json"'];
/** Writes the smallest valid evaluation.json: numeric top-level metrics (activities/evaluation/evaluation-file.ts). */
const EVALUATE_COMMAND = ['sh', '-c', 'echo \'{"auc": 0.9, "accuracy": 0.8}\' > "$MLOPS_OUTPUT_DIR/evaluation.json"'];

export interface WorkerMemory {
  /** Resident set once it polls (the workflow bundle built), before any run. */
  readyMb: number;
  /** The largest resident set sampled (every 250 ms) while the runs went on. */
  loadMb: number;
  /** Peak resident set over its life (VmHWM), start-up included. */
  peakMb: number;
  /** CPU seconds (user + system) it used over the load, its job processes not included. */
  cpuS: number;
}

export interface LoadResult {
  runs: number;
  workers: number;
  approved: number;
  failed: number;
  unfinished: number;
  /** From the first start to the last run's end (or the time limit). */
  wallMs: number;
  perMinute: number;
  /** Start to close of each ended run, from its history. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Workflow task schedule-to-start over every ended run's history. */
  taskWaitP50Ms: number;
  taskWaitP99Ms: number;
  /** Workflow tasks that timed out or failed (e.g. a sticky queue's worker too busy), over every history. */
  taskTimeouts: number;
  /** Activity attempts after the first, over every history. */
  retries: number;
  /** Pipelines with more than one run in visibility, and models with other than one registered version. */
  duplicates: string[];
  /** Started ids the server does not show as closed once the load is over (terminated ones excepted). */
  lost: string[];
  memory: WorkerMemory[];
  /** The dev server's CPU seconds over the load, and that as a share of the machine's cores. */
  serverCpuS: number;
  serverCpuShare: number;
  /** Warning and error lines the server logged during the load, grouped by message, with the total. */
  serverWarnings: { total: number; top: string[] };
  /** One run alone on the warm workers, before the load. */
  singleMs: number;
  /** Distinct failure messages with their counts. */
  failures: string[];
}

/** Runs one scenario: `runs` runs at once on `workers` fresh worker processes. */
export async function runLoad(
  server: StackLikeServer,
  work: string,
  runs: number,
  workers: number,
  prefix: string,
): Promise<LoadResult> {
  const dataDir = path.join(work, 'data');
  const codeDir = path.join(work, 'code');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(codeDir, { recursive: true });
  const csv = 'x,y\n0.1,0\n0.5,1\n0.9,1\n';
  fs.writeFileSync(path.join(dataDir, 'train.csv'), csv);
  fs.writeFileSync(path.join(dataDir, 'holdout.csv'), csv);
  fs.writeFileSync(path.join(codeDir, 'README'), 'the training and evaluation commands are in the spec\n');

  const procs: ChildProcess[] = [];
  try {
    // one after the other: two bundling at once would only make both slower on a small machine
    for (let i = 0; i < workers; i++) procs.push(await startWorker(server, work));
    const readyMb = procs.map((p) => memoryMb(p.pid!, 'VmRSS'));
    const single = await timeRuns(server, [`${prefix}-warm`], dataDir, codeDir);
    if (single.approved !== 1) throw new Error(`the warm-up run did not succeed: ${single.failures.join('; ')}`);
    const names = Array.from({ length: runs }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`);
    // VmHWM also holds the start-up peak (building the workflow bundle), so the load's own peak is sampled
    const loadMb = procs.map(() => 0);
    const sampler = setInterval(() => {
      procs.forEach((p, i) => {
        if (p.exitCode === null) loadMb[i] = Math.max(loadMb[i]!, memoryMb(p.pid!, 'VmRSS'));
      });
    }, RSS_SAMPLE_MS);
    const logStart = fs.statSync(server.logFile).size;
    const cpuStart = server.cpuSeconds();
    const workerCpuStart = procs.map((p) => processCpuSeconds(p.pid!));
    const result = await timeRuns(server, names, dataDir, codeDir).finally(() => clearInterval(sampler));
    const serverCpuS = server.cpuSeconds() - cpuStart;
    const serverWarnings = warningsSince(server.logFile, logStart);
    const memory = procs.map((p, i) => ({
      readyMb: readyMb[i]!,
      loadMb: loadMb[i]!,
      peakMb: memoryMb(p.pid!, 'VmHWM'),
      cpuS: processCpuSeconds(p.pid!) - workerCpuStart[i]!,
    }));
    const checks = await checkRuns(server, work, result.handles, result.terminated);
    return {
      runs,
      workers,
      approved: result.approved,
      failed: result.failed,
      unfinished: result.unfinished,
      wallMs: result.wallMs,
      perMinute: (result.approved / result.wallMs) * 60_000,
      ...checks,
      memory,
      serverCpuS,
      serverCpuShare: serverCpuS / (result.wallMs / 1000) / coreCount(),
      serverWarnings,
      singleMs: single.wallMs,
      failures: result.failures,
    };
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p, 30_000)));
  }
}

interface TimedRuns {
  handles: WorkflowHandle<typeof retrainPipeline>[];
  /** Indexes of the runs terminated at the time limit. */
  terminated: Set<number>;
  approved: number;
  failed: number;
  unfinished: number;
  wallMs: number;
  failures: string[];
}

/** Starts every run at once and waits for all (up to `LOAD_TIME_LIMIT_MS`); counts outcomes. */
async function timeRuns(
  server: StackLikeServer,
  names: string[],
  dataDir: string,
  codeDir: string,
): Promise<TimedRuns> {
  const { env } = server;
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
  const count = (message: string) => failures.set(message, (failures.get(message) ?? 0) + 1);
  // unref'd: once every run has ended, this timer must not keep the bench process alive
  const deadline = sleep(LOAD_TIME_LIMIT_MS, undefined, { ref: false }).then(() => 'timeout' as const);
  const ended = await Promise.race([
    Promise.all(
      handles.map(async (h, i) => {
        try {
          const out = await h.result();
          if (out.outcome === 'approved') approved++;
          else {
            failed++;
            count(`ended ${out.outcome}`);
          }
        } catch (err) {
          failed++;
          count(innermost(err));
        }
        settled.add(i);
        lastEnd = performance.now();
      }),
    ),
    deadline,
  ]);
  const counts = { approved, failed, unfinished: names.length - approved - failed };
  const report = [...failures].map(([message, n]) => `${n}× ${message}`);
  const terminated = new Set<number>();
  if (ended === 'timeout') {
    const open = handles.map((h, i) => ({ h, i })).filter(({ i }) => !settled.has(i));
    report.push(...(await Promise.all(open.slice(0, 5).map(({ h }) => whereStuck(h)))));
    await Promise.allSettled(
      open.map(async ({ h, i }) => {
        terminated.add(i);
        await h.terminate('load bench time limit');
      }),
    );
  }
  return {
    handles,
    terminated,
    ...counts,
    wallMs: counts.unfinished > 0 ? LOAD_TIME_LIMIT_MS : lastEnd - started,
    failures: report,
  };
}

type Checks = Pick<
  LoadResult,
  | 'latencyP50Ms'
  | 'latencyP99Ms'
  | 'taskWaitP50Ms'
  | 'taskWaitP99Ms'
  | 'taskTimeouts'
  | 'retries'
  | 'duplicates'
  | 'lost'
>;

/** Reads every run's history, the server's list of runs and the store's registry: latencies, losses, duplicates. */
async function checkRuns(
  server: StackLikeServer,
  work: string,
  handles: WorkflowHandle[],
  terminated: Set<number>,
): Promise<Checks> {
  const latencies: number[] = [];
  const taskWaits: number[] = [];
  const lost: string[] = [];
  let taskTimeouts = 0;
  let retries = 0;
  await pool(handles.length, CHECK_CONCURRENCY, async (i) => {
    if (terminated.has(i)) return;
    const handle = handles[i]!;
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.at(-1);
    const closed =
      last?.workflowExecutionCompletedEventAttributes ??
      last?.workflowExecutionFailedEventAttributes ??
      last?.workflowExecutionTimedOutEventAttributes;
    if (!closed) {
      lost.push(handle.workflowId);
      return;
    }
    latencies.push(tsToMs(last!.eventTime) - tsToMs(events[0]!.eventTime));
    const scheduledAt = new Map<string, number>();
    for (const e of events) {
      if (e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), tsToMs(e.eventTime));
      const startedTask = e.workflowTaskStartedEventAttributes;
      if (startedTask) {
        const at = scheduledAt.get(String(startedTask.scheduledEventId));
        if (at !== undefined) taskWaits.push(tsToMs(e.eventTime) - at);
      }
      if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes) taskTimeouts++;
      const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
      if (attempt > 1) retries += attempt - 1;
    }
  });
  const duplicates = [...(await duplicatedRuns(server)), ...(await duplicatedVersions(work, handles, terminated))];
  return {
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP99Ms: quantile(latencies, 0.99),
    taskWaitP50Ms: quantile(taskWaits, 0.5),
    taskWaitP99Ms: quantile(taskWaits, 0.99),
    taskTimeouts,
    retries,
    duplicates,
    lost,
  };
}

/** Pipelines with more than one `retrainPipeline` run in the server's visibility (ids are `retrain/<name>/<time>`). */
async function duplicatedRuns(server: StackLikeServer): Promise<string[]> {
  const perPipeline = new Map<string, number>();
  for await (const w of server.env.client.workflow.list({ query: `WorkflowType = 'retrainPipeline'` })) {
    const name = w.workflowId.split('/')[1] ?? w.workflowId;
    perPipeline.set(name, (perPipeline.get(name) ?? 0) + 1);
  }
  return [...perPipeline].filter(([, n]) => n > 1).map(([name, n]) => `pipeline ${name}: ${n} runs`);
}

/** Models of the ended runs with other than exactly one registered version in the store. */
async function duplicatedVersions(work: string, handles: WorkflowHandle[], terminated: Set<number>): Promise<string[]> {
  const root = path.join(work, 'store');
  const registry = new ModelRegistry(createBlobStore({ kind: 'file', root, uri: `file://${root}` }));
  const wrong: string[] = [];
  await pool(handles.length, CHECK_CONCURRENCY, async (i) => {
    if (terminated.has(i)) return;
    const model = handles[i]!.workflowId.split('/')[1]!;
    const versions = await registry.listVersions(model).catch(() => []);
    if (versions.length !== 1) wrong.push(`model ${model}: ${versions.length} versions`);
  });
  return wrong;
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

/** The server log's warn and error lines written after byte `from`, grouped by their `msg`. */
function warningsSince(logFile: string, from: number): { total: number; top: string[] } {
  const text = fs.readFileSync(logFile).subarray(from).toString('utf8');
  const byMessage = new Map<string, number>();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!/level=(warn|error)|"level":"(warn|error)"/i.test(line)) continue;
    total++;
    const msg = /msg="((?:[^"\\]|\\.)*)"|msg=(\S+)/.exec(line);
    const key = (msg?.[1] ?? msg?.[2] ?? line).slice(0, 100);
    byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
  }
  const top = [...byMessage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([m, n]) => `${n}× "${m}"`);
  return { total, top };
}

/** `mlops worker` (every queue) on the bench's server, store and home; resolves once it polls. */
async function startWorker(server: StackLikeServer, work: string): Promise<ChildProcess> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.env.address,
    TEMPORAL_NAMESPACE: 'default',
    MLOPS_HOME: path.join(work, 'home'),
    MLOPS_STORE: `file://${path.join(work, 'store')}`,
    MLOPS_TASK_QUEUE: QUEUE,
    MLOPS_TRAINING_TASK_QUEUE: TRAINING_QUEUE,
    MLOPS_SERVING_TASK_QUEUE: SERVING_QUEUE,
    // the runs' datasets lie in the bench's folder
    MLOPS_SOURCE_ROOTS: work,
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

/** A memory figure of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak resident), in MB. */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

/** The value at quantile `q` (nearest rank) of `values`; 0 for none. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function coreCount(): number {
  return Math.max(1, os.cpus().length);
}

/** A positive integer from the environment, or undefined when unset; anything else stops the bench naming the variable. */
function positiveEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number of runs, not "${raw}"`);
  return n;
}
