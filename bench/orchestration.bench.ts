/**
 * Orchestration overhead and load, on one Temporal dev server of the bench's own:
 *   1. step overhead: 50 no-op steps through the step machinery of `retrainPipeline` (step table,
 *      details markdown, `MlStage` upsert, activity summaries; bench/workflows/steps.ts) against a
 *      plain workflow calling the same 50 no-op activities, on the same in-process worker.
 *      Target: ≤ 1.15× the plain chain.
 *   2. load: many concurrent `retrainPipeline` runs with trivial training and evaluation commands
 *      on one real `mlops worker` process (bench/orchestration-load.ts).
 * Run alone with `npx tsx bench/run.ts orchestration`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startBenchServer } from './dev-server';
import { type BenchRow, bundlerLogger } from './measure';
import { LOAD_RUNS, LOAD_TIME_LIMIT_MS, runLoad, type LoadResult } from './orchestration-load';
import { plainChain, stepMachineryChain, type StepActivities } from './workflows/steps';

const STEPS = 50;
const REPEAT = 5;
const TARGET = 1.15;
const QUEUE = 'bench-steps';

export type OrchestrationBenchRow = BenchRow & { met: boolean };

/** The last load result, for the notes the page shows (filled in by `runOrchestrationBench`). */
let lastLoad: LoadResult | undefined;

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
  `Load: ${LOAD_RUNS} \`retrainPipeline\` runs started at once, each its own pipeline, model and dataset ` +
  '(a three-row CSV folder), a shell one-liner as training and as evaluation command, no approval, no ' +
  'rollout, on one `mlops worker` process (both task queues, default worker limits) with a filesystem store. ' +
  'There is no external anchor for throughput, so the anchor is the target itself: all runs approved, none ' +
  `lost or failed, within ${LOAD_TIME_LIMIT_MS / 60_000} minutes. Memory is the worker process’s resident set: ` +
  'once it polls, the most sampled (every 250 ms) while the runs went on, and its lifetime peak (VmHWM, which ' +
  'includes building the workflow bundle at start); the training commands are processes of their own and not ' +
  'counted.';

/** The notes, with the last load run's result when there is one. */
export function orchestrationNotes(): string {
  if (!lastLoad) return ORCHESTRATION_BENCH_NOTES;
  const l = lastLoad;
  return (
    `${ORCHESTRATION_BENCH_NOTES} Last load run: ${l.approved}/${l.runs} approved, ${l.failed} failed, ` +
    `${l.unfinished} unfinished, in ${(l.wallMs / 1000).toFixed(1)} s (${l.perMinute.toFixed(0)} pipelines/min), ` +
    `worker RSS ${rss(l)}.`
  );
}

export async function runOrchestrationBench(): Promise<OrchestrationBenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-orchestration-'));
  const env = await startBenchServer();
  try {
    const steps = await stepOverhead(env);
    const load = await runLoad(env, work);
    lastLoad = load;
    return [steps, loadRow(load)];
  } finally {
    await env.teardown();
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
  return {
    scenario: `${l.runs} concurrent retrain pipelines, trivial train and evaluate, one worker process`,
    ours: {
      name: l.unfinished > 0 ? 'time limit reached' : 'all runs ended',
      ms: l.wallMs,
      units: l.runs,
      unitName: 'pipeline',
    },
    anchor: { name: 'target', ms: LOAD_TIME_LIMIT_MS, units: l.runs, unitName: 'pipeline' },
    target: `all ${l.runs} approved within ${LOAD_TIME_LIMIT_MS / 60_000} min`,
    met: l.approved === l.runs && l.wallMs <= LOAD_TIME_LIMIT_MS,
    detail:
      `${l.approved} approved, ${l.failed} failed, ${l.unfinished} unfinished; ${l.perMinute.toFixed(0)} pipelines/min; ` +
      `worker RSS ${rss(l)}; one run alone before: ${(l.singleMs / 1000).toFixed(1)} s` +
      (l.failures.length > 0 ? `; failures: ${l.failures.join('; ')}` : ''),
  };
}

function rss(l: LoadResult): string {
  return (
    `${l.readyRssMb.toFixed(0)} MB when ready, at most ${l.loadRssMb.toFixed(0)} MB under the load ` +
    `(lifetime peak ${l.peakRssMb.toFixed(0)} MB)`
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
