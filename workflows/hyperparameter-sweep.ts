/**
 * `hyperparameterSweep` (workflow id `sweep/<pipeline>/<time>`, or `sweep/<parent id>` as a child):
 * expands the search space into trials (grid, or seeded random samples; ../common/sweep-plan.ts), runs
 * each as a `sweepTrial` child workflow `trial/<sweep id>/<k>` with at most `parallelism` at once,
 * ranks them by the objective, and writes an HTML sweep report. Every trial is tracked under the
 * sweep's run. With early stopping, each trial's training activity applies the median stopping rule
 * against its peers and cancels its own job.
 *
 * Cancelling the sweep cancels every running trial and waits until each one's job has stopped.
 */
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  defineQuery,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrainingJobOutcome } from '../activities/training/activity';
import type { TrainingJob } from '../activities/training/types';
import { SweepFailedError, toApplicationFailure } from '../common/failures';
import { describeParams, formatMetric, innermostMessage, markdownKeyValues } from '../common/format';
import { MlPipeline, MlPrimaryMetric, MlTrigger } from '../common/search-attributes';
import { trialRootOf } from '../common/experiment-keys';
import type { SweepSection } from '../common/schemas/sweep';
import { isBetter, sweepTrials } from '../common/sweep-plan';
import { KEEPALIVE_TIMEOUT } from './keepalive';
import { tracking, trainingJobs } from './sdk/activity-options';

export interface HyperparameterSweepInput {
  pipeline: string;
  /** The job every trial runs; a trial's params are `job.params` overridden by its sampled values. */
  job: Omit<TrainingJob, 'outputPrefix'>;
  sweep: SweepSection;
  /** Task queue of the training workers. */
  trainingTaskQueue: string;
  trigger?: string;
}

export type TrialStatus = 'succeeded' | 'stopped-early' | 'failed' | 'cancelled';

export interface SweepTrialResult {
  trial: number;
  workflowId: string;
  /** The sampled values (not the fixed params). */
  params: Record<string, unknown>;
  status: TrialStatus;
  metrics: Record<string, number>;
  /** The objective metric's value (final, or the latest for a trial stopped early). */
  objective?: number;
  outputUri?: string;
  /** Why a trial failed, or the stopping decision of one stopped early. */
  note?: string;
  /** The step at which the median stopping rule stopped the trial. */
  stoppedAtStep?: number;
}

export interface HyperparameterSweepOutput {
  run: string;
  objective: SweepSection['objective'];
  bestTrial?: SweepTrialResult;
  /** All trials, best first; trials without an objective value last. */
  leaderboard: SweepTrialResult[];
  counts: Record<TrialStatus, number>;
  /** The HTML sweep report. */
  reportUri?: string;
}

export interface SweepProgress {
  total: number;
  running: number[];
  counts: Record<TrialStatus, number>;
  best?: SweepTrialResult;
}

/** The sweep's progress: trials done by status, running trials and the best so far. */
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');

export interface SweepTrialInput {
  pipeline: string;
  /** The sweep's run id (its workflow id): trials are tracked under it. */
  run: string;
  trial: number;
  total: number;
  /** The trial's store prefix (its outputs and logs go there). */
  root: string;
  job: Omit<TrainingJob, 'outputPrefix'>;
  trainingTaskQueue: string;
  /** The sweep's objective metric: shown as the trial's `MlPrimaryMetric`. */
  objective: string;
  earlyStopping?: { metric: string; direction: 'maximize' | 'minimize'; minSteps: number; minTrials: number };
}

export interface SweepTrialOutput extends TrainingJobOutcome {
  trial: number;
}

/** Recording a trial's result is a short store write: a local activity, with no task-queue round trip. */
const trialTracking = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const reports = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
});

export async function hyperparameterSweep(input: HyperparameterSweepInput): Promise<HyperparameterSweepOutput> {
  const run = workflowInfo().workflowId;
  const { sweep } = input;
  const direction = sweep.objective.direction;
  const candidates = sweepTrials(sweep);
  const total = candidates.length;
  const results: SweepTrialResult[] = [];
  const running = new Set<number>();
  const counts: Record<TrialStatus, number> = { succeeded: 0, 'stopped-early': 0, failed: 0, cancelled: 0 };
  let best: SweepTrialResult | undefined;

  setHandler(sweepProgressQuery, () => ({ total, running: [...running].sort((a, b) => a - b), counts, best }));
  upsertSearchAttributes([
    { key: MlPipeline, value: input.pipeline },
    { key: MlTrigger, value: input.trigger ?? 'manual' },
  ]);
  const showProgress = (status: string) =>
    setCurrentDetails(
      [
        markdownKeyValues([
          ['status', status],
          ['search', `${sweep.algorithm}, ${total} trials, ${sweep.parallelism} at once`],
          ['objective', `${direction} ${sweep.objective.metric}`],
          [
            'trials',
            `${results.length}/${total} done (${counts.succeeded} succeeded, ${counts['stopped-early']} stopped early, ${counts.failed} failed), ${running.size} running`,
          ],
          ['best', best ? `trial ${best.trial}: ${formatMetric(best.objective)} ${describeParams(best.params)}` : '—'],
        ]),
        leaderboardTable(rank(results, direction).slice(0, 5), sweep.objective.metric),
      ].join('\n\n'),
    );
  showProgress('starting');

  const tracked = await tracking.startRun.executeWithOptions({ summary: `track sweep run of ${input.pipeline}` }, [
    {
      pipeline: input.pipeline,
      run,
      params: { ...input.job.params, sweep: { algorithm: sweep.algorithm, space: sweep.space } },
      tags: { kind: 'sweep', objective: `${direction}:${sweep.objective.metric}` },
    },
  ]);

  // every trial reads the same data: `latest` (or a prefix) is pinned to one snapshot id up front
  let job = input.job;
  if (job.input) {
    const { id } = await tracking.resolveSnapshot.executeWithOptions(
      { summary: `pin snapshot ${job.input.dataset}@${job.input.snapshot}` },
      [job.input],
    );
    job = { ...job, input: { ...job.input, snapshot: id } };
  }

  const earlyStopping = sweep.earlyStopping && {
    metric: sweep.earlyStopping.metric ?? sweep.objective.metric,
    direction,
    minSteps: sweep.earlyStopping.minSteps,
    minTrials: sweep.earlyStopping.minTrials,
  };

  const runTrial = async (k: number, params: Record<string, unknown>): Promise<void> => {
    const workflowId = `trial/${run}/${k}`;
    running.add(k);
    showProgress('running');
    let result: SweepTrialResult;
    try {
      const out = await executeChild(sweepTrial, {
        workflowId,
        args: [
          {
            pipeline: input.pipeline,
            run,
            trial: k,
            total,
            root: trialRootOf(input.pipeline, tracked.runKey, k),
            job: { ...job, name: `${job.name}-${k}`, params: { ...job.params, ...params } },
            trainingTaskQueue: input.trainingTaskQueue,
            objective: sweep.objective.metric,
            earlyStopping,
          },
        ],
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        // a sweep that is terminated still asks its trials to stop their jobs
        parentClosePolicy: 'REQUEST_CANCEL',
        staticSummary: `trial ${k}/${total} ${describeParams(params)}`.slice(0, 200),
      });
      const status: TrialStatus = out.stoppedEarly ? 'stopped-early' : 'succeeded';
      result = {
        trial: k,
        workflowId,
        params,
        status,
        metrics: out.metrics,
        objective: out.metrics[sweep.objective.metric],
        outputUri: out.outputUri,
        stoppedAtStep: out.stoppedEarly?.step,
        note: out.stoppedEarly
          ? `stopped at step ${out.stoppedEarly.step}: best ${formatMetric(out.stoppedEarly.best)} vs median ${formatMetric(out.stoppedEarly.median)} of ${out.stoppedEarly.peers} trials`
          : undefined,
      };
    } catch (err) {
      if (isCancellation(err)) {
        // the sweep was cancelled (rethrown), or someone cancelled just this trial (recorded)
        results.push({ trial: k, workflowId, params, status: 'cancelled', metrics: {}, note: 'cancelled' });
        counts.cancelled += 1;
        running.delete(k);
        if (CancellationScope.current().consideredCancelled) throw err;
        showProgress('running');
        return;
      }
      result = {
        trial: k,
        workflowId,
        params,
        status: 'failed',
        metrics: {},
        note: innermostMessage(err).slice(0, 500),
      };
    }
    running.delete(k);
    results.push(result);
    counts[result.status] += 1;
    if (result.status === 'succeeded' && isBetter(result.objective, best?.objective, direction)) {
      best = result;
      upsertSearchAttributes([{ key: MlPrimaryMetric, value: result.objective! }]);
    }
    showProgress('running');
  };

  const inFlight = new Set<Promise<void>>();
  try {
    let firstError: unknown;
    for (const [i, params] of candidates.entries()) {
      await condition(() => inFlight.size < sweep.parallelism);
      if (firstError !== undefined) break;
      const p: Promise<void> = runTrial(i + 1, params)
        .catch((err: unknown) => {
          firstError ??= err;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    if (firstError !== undefined) throw firstError;
  } catch (err) {
    if (isCancellation(err)) {
      showProgress('cancelling: waiting for running trials to stop their jobs');
      // each running trial is cancelled with this scope; its result arrives once its job has stopped
      await Promise.allSettled([...inFlight]);
      showProgress('cancelled');
      await CancellationScope.nonCancellable(() =>
        tracking.finishRun.executeWithOptions({ summary: 'record sweep cancelled' }, [
          { pipeline: input.pipeline, run, status: 'cancelled' },
        ]),
      );
    }
    throw err;
  }

  showProgress('writing the report');
  const leaderboard = rank(results, direction);
  const report = await reports.writeSweepReport.executeWithOptions({ summary: 'write the sweep report' }, [
    {
      pipeline: input.pipeline,
      run,
      objective: sweep.objective,
      space: sweep.space,
      bestTrial: best?.trial,
      stoppedAtStep: Object.fromEntries(results.flatMap((r) => (r.stoppedAtStep ? [[r.trial, r.stoppedAtStep]] : []))),
    },
  ]);
  const succeeded = counts.succeeded > 0;
  await tracking.finishRun.executeWithOptions({ summary: 'record sweep result' }, [
    { pipeline: input.pipeline, run, status: succeeded ? 'succeeded' : 'failed' },
  ]);
  showProgress(succeeded ? 'succeeded' : 'failed: no trial succeeded');
  setCurrentDetails(`[sweep report](${report.uri})\n\n` + lastDetails(results, total, best, sweep, counts));
  if (!succeeded) {
    const firstFailure = leaderboard.find((r) => r.note)?.note ?? 'unknown';
    throw toApplicationFailure(
      new SweepFailedError(`no trial of ${total} succeeded; first failure: ${firstFailure}`, { reportUri: report.uri }),
    );
  }
  return { run, objective: sweep.objective, bestTrial: best, leaderboard, counts, reportUri: report.uri };
}

/** One trial of a sweep (workflow id `trial/<sweep id>/<k>`): a tracked training job. */
export async function sweepTrial(input: SweepTrialInput): Promise<SweepTrialOutput> {
  const { pipeline, run, trial } = input;
  upsertSearchAttributes([
    { key: MlPipeline, value: pipeline },
    { key: MlTrigger, value: 'sweep' },
  ]);
  setCurrentDetails(
    markdownKeyValues([
      ['sweep', run],
      ['trial', `${trial}/${input.total}`],
      ['params', `\`${JSON.stringify(input.job.params)}\``.slice(0, 300)],
    ]),
  );
  // The trial record and the job start together (both scheduled in one workflow task; a local
  // activity would hold the job back until it finished): the job's metrics wait for the record.
  const started = tracking.startTrial.executeWithOptions({ summary: `track trial ${trial}` }, [
    { pipeline, run, trial, params: input.job.params },
  ]);
  started.catch(() => undefined); // awaited below; this only marks a failure as handled meanwhile
  // the job must have stopped before the trial reports itself cancelled
  const training = trainingJobs(input.trainingTaskQueue, input.job.timeoutSeconds);
  try {
    const outcome = await training.runTrainingJob.executeWithOptions(
      { summary: `train trial ${trial}/${input.total} ${describeParams(input.job.params)}`.slice(0, 200) },
      [
        {
          job: { ...input.job, outputPrefix: input.root },
          step: 'train',
          // the activity records the trial's result itself: one step less between trials
          track: { pipeline, run, trial, finish: true },
          earlyStopping: input.earlyStopping,
        },
      ],
    );
    await started;
    const objective = outcome.metrics[input.objective];
    if (objective !== undefined && Number.isFinite(objective))
      upsertSearchAttributes([{ key: MlPrimaryMetric, value: objective }]);
    return { ...outcome, trial };
  } catch (err) {
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    await CancellationScope.nonCancellable(async () => {
      await started;
      await trialTracking.finishTrial.executeWithOptions({ summary: `record trial ${trial} ${status}` }, [
        { pipeline, run, trial, status },
      ]);
    });
    throw err;
  }
}

/** Trials best first: succeeded by objective, then stopped early by objective, then the rest by trial. */
export function rank(results: readonly SweepTrialResult[], direction: 'maximize' | 'minimize'): SweepTrialResult[] {
  const tier = (r: SweepTrialResult) =>
    r.objective === undefined || !Number.isFinite(r.objective)
      ? 3
      : r.status === 'succeeded'
        ? 0
        : r.status === 'stopped-early'
          ? 1
          : 2;
  return [...results].sort((a, b) => {
    const t = tier(a) - tier(b);
    if (t !== 0) return t;
    if (tier(a) < 3 && a.objective !== b.objective)
      return direction === 'maximize' ? b.objective! - a.objective! : a.objective! - b.objective!;
    return a.trial - b.trial;
  });
}

function lastDetails(
  results: SweepTrialResult[],
  total: number,
  best: SweepTrialResult | undefined,
  sweep: SweepSection,
  counts: Record<TrialStatus, number>,
): string {
  return [
    markdownKeyValues([
      ['status', counts.succeeded > 0 ? 'succeeded' : 'failed: no trial succeeded'],
      ['objective', `${sweep.objective.direction} ${sweep.objective.metric}`],
      [
        'trials',
        `${total}: ${counts.succeeded} succeeded, ${counts['stopped-early']} stopped early, ${counts.failed} failed`,
      ],
      ['best', best ? `trial ${best.trial}: ${formatMetric(best.objective)} ${describeParams(best.params)}` : '—'],
    ]),
    leaderboardTable(rank(results, sweep.objective.direction).slice(0, 10), sweep.objective.metric),
  ].join('\n\n');
}

function leaderboardTable(rows: SweepTrialResult[], metric: string): string {
  if (rows.length === 0) return '';
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| trial | ${esc(metric)} | status | params |`,
    '|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.trial} | ${formatMetric(r.objective)} | ${r.status} | ${esc(describeParams(r.params))} |`,
    ),
  ].join('\n');
}
