/**
 * `trainModel`: one training job as a durable, tracked run (workflow id `train/<pipeline>/<time>`).
 * The job runs on the `mlops-training` queue through `runTrainingJob`, which re-attaches to the
 * running job after a worker restart; the run and its trial are recorded by the experiment tracker.
 */
import {
  isCancellation,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  CancellationScope,
} from '@temporalio/workflow';
import type { TrainingJobOutcome } from '../activities/training/activity';
import type { TrainingJob } from '../activities/training/types';
import { describeParams, formatMetric, markdownKeyValues } from '../common/format';
import { MlPipeline, MlPrimaryMetric, MlTrigger } from '../common/search-attributes';
import { trialRootOf } from '../common/experiment-keys';
import { quick, tracking, trainingJobs } from './sdk/activity-options';

export interface TrainModelInput {
  pipeline: string;
  job: Omit<TrainingJob, 'outputPrefix'>;
  /** Task queue of the training workers. */
  trainingTaskQueue: string;
  /** Metric shown as `MlPrimaryMetric`, e.g. `val_auc`. */
  primaryMetric?: string;
  trigger?: string;
}

export interface TrainModelOutput extends TrainingJobOutcome {
  run: string;
  trial: number;
}

export async function trainModel(input: TrainModelInput): Promise<TrainModelOutput> {
  const run = workflowInfo().workflowId;
  const rows: [string, string][] = [
    ['pipeline', input.pipeline],
    ['job', `${input.job.name}: \`${input.job.command.join(' ')}\``],
    ['params', `\`${JSON.stringify(input.job.params)}\``.slice(0, 300)],
    ['status', 'starting'],
  ];
  const set = (key: string, value: string) => {
    const row = rows.find((r) => r[0] === key);
    if (row) row[1] = value;
    else rows.push([key, value]);
    setCurrentDetails(markdownKeyValues(rows));
  };
  set('status', 'starting');
  upsertSearchAttributes([
    { key: MlPipeline, value: input.pipeline },
    { key: MlTrigger, value: input.trigger ?? 'manual' },
  ]);

  // lean: the run's record as a local activity (nothing else waits in that task), then the trial's
  // record and the job together (a local activity there would hold the job back until it ended); the
  // job's activity records the trial's result itself, and the run's end is a local activity again
  const lean = patched('lean-train-tracking');
  let root: string;
  let trialStarted: Promise<unknown> = Promise.resolve();
  if (lean) {
    const tracked = await quick.startRun.executeWithOptions({ summary: `track run of ${input.pipeline}` }, [
      { pipeline: input.pipeline, run, params: input.job.params },
    ]);
    root = trialRootOf(input.pipeline, tracked.runKey, 1);
    trialStarted = tracking.startTrial.executeWithOptions({ summary: 'track trial 1' }, [
      { pipeline: input.pipeline, run, trial: 1, params: input.job.params },
    ]);
    trialStarted.catch(() => undefined); // awaited below; this only marks a failure as handled meanwhile
  } else {
    await tracking.startRun.executeWithOptions({ summary: `track run of ${input.pipeline}` }, [
      { pipeline: input.pipeline, run, params: input.job.params },
    ]);
    const trial = await tracking.startTrial.executeWithOptions({ summary: 'track trial 1' }, [
      { pipeline: input.pipeline, run, trial: 1, params: input.job.params },
    ]);
    root = trial.root;
  }
  // a cancelled run ends only once its job has stopped (runs recorded before: at once)
  const training = trainingJobs(input.trainingTaskQueue, input.job.timeoutSeconds, patched('train-waits-for-job'));
  set('status', 'training');
  try {
    const outcome = await training.runTrainingJob.executeWithOptions(
      { summary: `train ${input.job.name} ${describeParams(input.job.params, 4)}`.slice(0, 200) },
      [
        {
          job: { ...input.job, outputPrefix: root },
          step: 'train',
          track: { pipeline: input.pipeline, run, trial: 1, ...(lean && { finish: true }) },
        },
      ],
    );
    await trialStarted;
    if (!lean)
      await tracking.finishTrial.executeWithOptions({ summary: 'record trial 1 result' }, [
        {
          pipeline: input.pipeline,
          run,
          trial: 1,
          metrics: outcome.metrics,
          status: 'succeeded',
        },
      ]);
    await (lean ? quick : tracking).finishRun.executeWithOptions({ summary: 'record run result' }, [
      { pipeline: input.pipeline, run, status: 'succeeded' },
    ]);
    const primary = input.primaryMetric === undefined ? undefined : outcome.metrics[input.primaryMetric];
    if (primary !== undefined) upsertSearchAttributes([{ key: MlPrimaryMetric, value: primary }]);
    set('status', 'succeeded');
    set(
      'metrics',
      Object.entries(outcome.metrics)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(', ') || '—',
    );
    set('output', outcome.outputUri ?? '—');
    return { ...outcome, run, trial: 1 };
  } catch (err) {
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    set('status', status);
    await CancellationScope.nonCancellable(async () => {
      await trialStarted.catch(() => undefined);
      await tracking.finishTrial.executeWithOptions({ summary: 'record trial 1 result' }, [
        { pipeline: input.pipeline, run, trial: 1, status },
      ]);
      await tracking.finishRun.executeWithOptions({ summary: 'record run result' }, [
        { pipeline: input.pipeline, run, status },
      ]);
    });
    throw err;
  }
}
