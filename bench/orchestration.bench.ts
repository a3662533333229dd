/**
 * Orchestration overhead and load, on one Temporal dev server of the bench's own:
 *   1. step overhead: 50 no-op steps through the step machinery of `retrainPipeline` (step table,
 *      details markdown, `MlStage` upsert, activity summaries; bench/workflows/steps.ts) against a
 *      plain workflow calling the same 50 no-op activities, on the same in-process worker.
 *      Target: ≤ 1.15× the plain chain.
 *   2. load: many concurrent `retrainPipeline` runs with trivial training and evaluation commands
 *      on real `mlops worker` processes, on a dev server started as `mlops dev up` starts it
 *      (bench/orchestration-load.ts): 200 runs on one worker, then 1,000 on two.
 * Run alone with `npx tsx bench/run.ts orchestration` (`MLOPS_BENCH_LOAD_RUNS=100` for a smaller load).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startBenchServer, startStackLikeServer } from './dev-server';
import { type BenchRow, bundlerLogger } from './measure';
import {
  BASELINE_RUNS,
  LOAD_RUNS,
  LOAD_TIME_LIMIT_MS,
  LOAD_WORKERS,
  runLoad,
  type LoadResult,
  type WorkerMemory,
} from './orchestration-load';
import { plainChain, stepMachineryChain, type StepActivities } from './workflows/steps';

const STEPS = 50;
const REPEAT = 5;
const TARGET = 1.15;
const QUEUE = 'bench-steps';

export type OrchestrationBenchRow = BenchRow & { met: boolean };

/** The last load results, for the notes the page shows (filled in by `runOrchestrationBench`). */
let loads: LoadResult[] = [];

export const ORCHESTRATION_BENCH_NOTES =
  `Step overhead: a workflow of ${STEPS} no-op activities run as ${STEPS} pipeline steps with the bookkeeping ` +
  '`retrainPipeline` does per step (the step table updated at begin and end, `setCurrentDetails` markdown ' +
  're-rendered on every change, `MlStage` upserted, each call with a `summary`; bench/workflows/steps.ts) ' +
  `against a workflow calling the same ${STEPS} activities plainly, alternately on one dev server and one ` +
  `in-process worker; ${REPEAT} of each after a warm-up, median of the workflows’ durations from their ` +
  'histories (first to last event); per-step times are the gaps between consecutive ActivityTaskCompleted ' +
  'events. Both chains pay the same round trips per step (a workflow task and an activity task through the ' +
  'server: a few tens of ms on an idle machine, more on a busy one); the machinery adds work inside the ' +
  'workflow task and one upsert command to the same task completion, not another round trip. ' +
  `Target: at most ${TARGET}× the plain chain. ` +
  `Load: ${BASELINE_RUNS} \`retrainPipeline\` runs started at once on one \`mlops worker\` process, then ` +
  `${LOAD_RUNS} on ${LOAD_WORKERS}, each run its own pipeline, model and dataset (a three-row CSV folder), a shell ` +
  'one-liner as training and as evaluation command, no approval, no rollout, with a filesystem store. Both ' +
  'workers poll every queue, as a user adding a second `mlops worker` runs it: either takes any workflow task ' +
  'or job, so neither idles while the other has work. Each scenario gets a fresh dev server started with the ' +
  'command line of `mlops dev up` (SQLite file, warn-level log; bench/dev-server.ts). There is no external ' +
  'anchor for throughput, so the anchor is the target itself: all runs approved, none lost (every started id ' +
  'closed in its history), none duplicated (one run per pipeline in the server’s visibility, one registered ' +
  `version per model in the store), within ${LOAD_TIME_LIMIT_MS / 60_000} minutes (runs still going then are ` +
  'terminated and counted unfinished). Run latency is start to close from each history; workflow-task wait is ' +
  'WorkflowTaskScheduled to WorkflowTaskStarted over every history (the time a task waits for a worker slot ' +
  'or for the server to hand it out). Worker memory is each process’s resident set: once it polls, the most ' +
  'sampled (every 250 ms) during the load, and its lifetime peak (VmHWM, building the workflow bundle ' +
  'included); training commands are processes of their own and not counted. Server CPU is the dev server ' +
  'process’s user + system time over the load (/proc/<pid>/stat), also as a share of all cores; its warnings ' +
  'are the warn and error lines its log got during the load, grouped by message. Where the load waits on the ' +
  'dev server (one SQLite file, one history shard), its warnings and the workflow-task wait show it; ' +
  'docs/development.md (“Load: the dev server and a production cluster”) says what a production cluster changes.';

/** The notes, with the last load runs' results when there are some. */
export function orchestrationNotes(): string {
  if (loads.length === 0) return ORCHESTRATION_BENCH_NOTES;
  const each = loads.map(
    (l) =>
      `${l.runs} runs on ${workersOf(l)}: ${l.approved} approved, ${l.failed} failed, ${l.unfinished} unfinished in ` +
      `${(l.wallMs / 1000).toFixed(1)} s (${l.perMinute.toFixed(0)} pipelines/min), server CPU ` +
      `${(l.serverCpuShare * 100).toFixed(0)}% of the machine`,
  );
  return `${ORCHESTRATION_BENCH_NOTES} Last load runs: ${each.join('; ')}.`;
}

export async function runOrchestrationBench(): Promise<OrchestrationBenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-orchestration-'));
  try {
    const env = await startBenchServer();
    const steps = await stepOverhead(env).finally(() => env.teardown());
    loads = [];
    // each scenario on a fresh server, store and home, so one's history does not weigh on the other
    for (const [runs, workers, name] of [
      [BASELINE_RUNS, 1, 'one'],
      [LOAD_RUNS, LOAD_WORKERS, 'two'],
    ] as const) {
      const dir = path.join(work, name);
      const server = await startStackLikeServer(path.join(dir, 'temporal'));
      try {
        loads.push(await runLoad(server, dir, runs, workers, `load${workers}`));
      } finally {
        await server.teardown();
      }
    }
    return [steps, ...loads.map(loadRow)];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function stepOverhead(env: TestWorkflowEnvironment): Promise<OrchestrationBenchRow> {
  const activities: StepActivities = { async noop() {} };
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/steps'),
    logger: bundlerLogger,
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: QUEUE,
    workflowBundle,
    activities,
  });
  const plain: Timing[] = [];
  const machinery: Timing[] = [];
  await worker.runUntil(async () => {
    for (let rep = -1; rep < REPEAT; rep++) {
      const a = await timeChain(env, plainChain, `plain-${rep}`);
      const b = await timeChain(env, stepMachineryChain, `machinery-${rep}`);
      if (rep >= 0) {
        plain.push(a);
        machinery.push(b);
      }
    }
  });
  const oursMs = median(machinery.map((t) => t.totalMs));
  const anchorMs = median(plain.map((t) => t.totalMs));
  const stepP50 = (ts: Timing[]) => median(ts.flatMap((t) => t.stepMs));
  const stepMin = (ts: Timing[]) => Math.min(...ts.flatMap((t) => t.stepMs));
  const ratio = oursMs / anchorMs;
  return {
    scenario: `${STEPS} no-op steps in one workflow (median of ${REPEAT})`,
    ours: { name: 'step machinery', ms: oursMs, units: STEPS, unitName: 'step' },
    anchor: { name: 'plain activity chain', ms: anchorMs, units: STEPS, unitName: 'step' },
    target: `≤ ${TARGET}× plain`,
    met: ratio <= TARGET,
    detail:
      `per-step p50: ${stepP50(machinery).toFixed(1)} ms with the machinery, ${stepP50(plain).toFixed(1)} ms plain ` +
      `(fastest step ${stepMin(machinery).toFixed(0)} / ${stepMin(plain).toFixed(0)} ms); ` +
      `each run (machinery / plain): ${machinery.map((t, i) => `${t.totalMs.toFixed(0)}/${plain[i]!.totalMs.toFixed(0)}`).join(', ')} ms`,
  };
}

interface Timing {
  /** First to last event of the workflow's history. */
  totalMs: number;
  /** Gaps between consecutive ActivityTaskCompleted events. */
  stepMs: number[];
}

async function timeChain(env: TestWorkflowEnvironment, workflow: typeof plainChain, name: string): Promise<Timing> {
  const handle: WorkflowHandle<typeof plainChain> = await env.client.workflow.start(workflow, {
    workflowId: `bench/steps/${name}`,
    taskQueue: QUEUE,
    args: [STEPS],
  });
  await handle.result();
  const { events } = await handle.fetchHistory();
  const times = (events ?? []).map((e) => ({
    at: tsToMs(e.eventTime),
    completed: !!e.activityTaskCompletedEventAttributes,
  }));
  const completed = times.filter((t) => t.completed).map((t) => t.at);
  if (completed.length !== STEPS) throw new Error(`${name}: ${completed.length} activities completed, not ${STEPS}`);
  return {
    totalMs: times.at(-1)!.at - times[0]!.at,
    stepMs: completed.slice(1).map((at, i) => at - completed[i]!),
  };
}

function loadRow(l: LoadResult): OrchestrationBenchRow {
  const sound = l.lost.length === 0 && l.duplicates.length === 0;
  return {
    scenario: `${l.runs} concurrent retrain pipelines, trivial train and evaluate, ${workersOf(l)}`,
    ours: {
      name: l.unfinished > 0 ? 'time limit reached' : 'all runs ended',
      ms: l.wallMs,
      units: l.runs,
      unitName: 'pipeline',
    },
    anchor: { name: 'target', ms: LOAD_TIME_LIMIT_MS, units: l.runs, unitName: 'pipeline' },
    target: `all ${l.runs} approved, none lost or duplicated, within ${LOAD_TIME_LIMIT_MS / 60_000} min`,
    met: l.approved === l.runs && sound && l.wallMs <= LOAD_TIME_LIMIT_MS,
    detail: [
      `${l.approved} approved, ${l.failed} failed, ${l.unfinished} unfinished`,
      `${l.lost.length} lost, ${l.duplicates.length} duplicated, ${l.retries} activity retries, ${l.taskTimeouts} workflow tasks timed out or failed`,
      `${l.perMinute.toFixed(0)} pipelines/min`,
      `run latency p50 ${s(l.latencyP50Ms)}, p99 ${s(l.latencyP99Ms)}`,
      `workflow-task wait p50 ${l.taskWaitP50Ms.toFixed(0)} ms, p99 ${l.taskWaitP99Ms.toFixed(0)} ms`,
      `worker RSS ${l.memory.map(rss).join('; ')}`,
      `server CPU ${l.serverCpuS.toFixed(0)} s over the load (${(l.serverCpuShare * 100).toFixed(0)}% of ${os.cpus().length} cores)`,
      `server log: ${l.serverWarnings.total} warnings${l.serverWarnings.top.length > 0 ? ` (${l.serverWarnings.top.join(', ')})` : ''}`,
      `one run alone before: ${s(l.singleMs)}`,
      ...(l.failures.length > 0 ? [`failures: ${l.failures.join('; ')}`] : []),
      ...(sound ? [] : [`lost or duplicated: ${[...l.lost, ...l.duplicates].slice(0, 5).join('; ')}`]),
    ].join('; '),
  };
}

function workersOf(l: LoadResult): string {
  return l.workers === 1 ? 'one worker process' : `${l.workers} worker processes`;
}

function rss(m: WorkerMemory, i: number): string {
  return `#${i + 1} ${m.readyMb.toFixed(0)} MB ready, ${m.loadMb.toFixed(0)} MB at most under load, ${m.peakMb.toFixed(0)} MB peak, ${m.cpuS.toFixed(0)} s CPU`;
}

function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
