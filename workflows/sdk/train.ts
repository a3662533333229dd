/**
 * The train block: one candidate model from a snapshot — a `hyperparameterSweep` child
 * (`sweep/<run id>`) when the training section has a sweep, else one job as a `trainModel` child
 * (`train/<run id>`). Runs recorded before that child existed trained inline (kept for their replay).
 */
import { executeChild, patched } from '@temporalio/workflow';
import type { TrainingJob } from '../../activities/training/types';
import { SweepFailedError, toApplicationFailure, TrainingOutputMissingError } from '../../common/failures';
import { describeParams } from '../../common/format';
import type { TrainingSection } from '../../common/schemas/spec';
import { hyperparameterSweep } from '../hyperparameter-sweep';
import { trainModel } from '../train-model';
import { light, trainingJobs } from './activity-options';
import type { PipelineRun } from './run';
import type { SnapshotRef, TrainedModel } from './types';
import { codeOf } from './code';
import { pick } from './util';

export interface TrainOptions {
  /** The data to train on. */
  snapshot: SnapshotRef;
  /** @default the spec's training section */
  training?: TrainingSection;
  /** Params over the training section's. */
  params?: Record<string, unknown>;
  /** Names this candidate among several trained by one run (child ids and the step get it). */
  label?: string;
  /** The step of the table. @default 'train', or `train-<label>` */
  step?: string;
}

export async function train(run: PipelineRun, options: TrainOptions): Promise<TrainedModel> {
  const { spec, input } = run;
  const training = options.training ?? spec.training;
  const params = { ...training.params, ...options.params };
  const { label } = options;
  const step = options.step ?? (label ? `train-${label}` : 'train');
  const suffix = label ? `/${label}` : '';
  const snap = { dataset: options.snapshot.dataset, id: options.snapshot.id };
  run.stage('train');
  const job: Omit<TrainingJob, 'outputPrefix'> = {
    name: `${spec.name}-${label ? `${label}-` : ''}train`,
    command: training.entrypoint,
    ...codeOf(training),
    env: training.env,
    params,
    input: { dataset: snap.dataset, snapshot: snap.id },
    resources: training.resources,
    timeoutSeconds: training.timeoutSeconds,
    backend: training.backend,
  };

  if (training.sweep) {
    const sweepId = `sweep/${run.id}${suffix}`;
    run.link(label ? `sweep ${label}` : 'sweep', sweepId);
    run.begin(step, `sweep ${sweepId}`);
    const swept = await executeChild(hyperparameterSweep, {
      workflowId: sweepId,
      args: [
        {
          pipeline: spec.name,
          job,
          sweep: training.sweep,
          trainingTaskQueue: input.trainingTaskQueue,
          trigger: input.trigger,
        },
      ],
      staticSummary: `sweep for ${run.id}${suffix}`.slice(0, 200),
    });
    if (swept.reportUri) run.link(label ? `sweepReport ${label}` : 'sweepReport', swept.reportUri);
    const best = swept.bestTrial;
    if (!best?.outputUri) throw toApplicationFailure(new SweepFailedError('the sweep produced no model'));
    run.end(step, 'done', `best of ${swept.leaderboard.length} trials: trial ${best.trial}`, best.metrics);
    return {
      label,
      outputUri: best.outputUri,
      metrics: best.metrics,
      params: { ...params, ...best.params },
      snapshot: snap,
      workflowId: sweepId,
    };
  }

  run.begin(step, `train ${describeParams(params, 5)}`.slice(0, 200));
  if (patched('train-model-child')) {
    const trainId = `train/${run.id}${suffix}`;
    run.link(label ? `train ${label}` : 'train', trainId);
    const out = await executeChild(trainModel, {
      workflowId: trainId,
      args: [{ pipeline: spec.name, job, trainingTaskQueue: input.trainingTaskQueue, trigger: input.trigger }],
      staticSummary: `train ${spec.name} for ${run.id}${suffix}`.slice(0, 200),
    });
    run.end(step, 'done', `job ${out.jobId}`, pick(out.metrics, 4));
    if (!out.outputUri) throw toApplicationFailure(new TrainingOutputMissingError(trainId));
    return { label, outputUri: out.outputUri, metrics: out.metrics, params, snapshot: snap, workflowId: trainId };
  }
  // runs recorded before the `trainModel` child: the job tracked as trial 1 of the pipeline's run
  const trial = await light.startTrial.executeWithOptions({ summary: 'track trial 1' }, [
    { pipeline: spec.name, run: run.id, trial: 1, params },
  ]);
  const outcome = await trainingJobs(
    input.trainingTaskQueue,
    training.timeoutSeconds,
  ).runTrainingJob.executeWithOptions({ summary: `train ${spec.name} ${describeParams(params, 5)}`.slice(0, 200) }, [
    { job: { ...job, outputPrefix: trial.root }, step: 'train', track: { pipeline: spec.name, run: run.id, trial: 1 } },
  ]);
  await light.finishTrial.executeWithOptions({ summary: 'record trial 1 result' }, [
    { pipeline: spec.name, run: run.id, trial: 1, metrics: outcome.metrics, status: 'succeeded' },
  ]);
  run.end(step, 'done', `job ${outcome.jobId}`, pick(outcome.metrics, 4));
  return { label, outputUri: outcome.outputUri!, metrics: outcome.metrics, params, snapshot: snap };
}
