/**
 * Tracking activities: one object argument each. User mistakes (unknown run or trial, bad name or
 * argument) become non-retryable `ApplicationFailure`s typed `RunNotFound`, `TrialNotFound`,
 * `InvalidName`, `InvalidArgument`; store errors stay retryable. Every activity is idempotent.
 */
import { activityInfo } from '@temporalio/activity';
import { asActivity } from '../failures';
import { experimentKeys } from './keys';
import type { BlobStore } from '../storage/types';
import { ExperimentTracker } from './tracker';
import type {
  ChunkWritten,
  ExperimentRun,
  FinishTrialOptions,
  ListTrialsOptions,
  MetricInput,
  RunStatus,
  StartRunInput,
  StartTrialInput,
  Trial,
} from './types';

export interface TrialRef {
  pipeline: string;
  run: string;
  trial: number;
}

export interface LogMetricsInput extends TrialRef {
  points: MetricInput[];
  /** @default `<workflow run id>/<activity id>` of the calling activity, so a retried attempt writes no duplicates */
  batchId?: string;
}

export type FinishTrialInput = TrialRef & FinishTrialOptions;

export interface FinishRunInput {
  pipeline: string;
  run: string;
  status: RunStatus;
}

export interface ListTrialsInput extends ListTrialsOptions {
  pipeline: string;
  run: string;
}

/** The calling activity's identity, the same for all its attempts; undefined outside an activity. */
function activityBatchId(): string | undefined {
  try {
    const info = activityInfo();
    return `${info.workflowExecution?.runId ?? info.activityType}/${info.activityId}`;
  } catch {
    return undefined;
  }
}

/** Builds the tracking activities on `deps.store`. */
export function createTrackingActivities(deps: { store: BlobStore }) {
  const tracker = new ExperimentTracker(deps.store);
  return {
    /** Starts (or returns the already started) run of a pipeline. */
    async startRun(input: StartRunInput): Promise<ExperimentRun> {
      return asActivity(() => tracker.startRun(input));
    },
    /** Starts (or returns the already started) trial of a run; `root` is the store prefix for its outputs. */
    async startTrial(input: StartTrialInput): Promise<Trial & { root: string }> {
      return asActivity(async () => ({
        ...(await tracker.startTrial(input)),
        root: experimentKeys.trialRoot(input.pipeline, input.run, input.trial).replace(/\/$/, ''),
      }));
    },
    /** Appends metric points to a trial as one chunk; retried attempts are de-duplicated by `batchId`. */
    async logMetrics(input: LogMetricsInput): Promise<ChunkWritten> {
      return asActivity(() =>
        tracker.logMetrics(input.pipeline, input.run, input.trial, input.points, {
          batchId: input.batchId ?? activityBatchId(),
        }),
      );
    },
    /** Ends a trial with its final metrics and status (an ended trial stays as it is). */
    async finishTrial(input: FinishTrialInput): Promise<Trial> {
      return asActivity(() =>
        tracker.finishTrial(input.pipeline, input.run, input.trial, { metrics: input.metrics, status: input.status }),
      );
    },
    /** Ends a run with its status (an ended run stays as it is). */
    async finishRun(input: FinishRunInput): Promise<ExperimentRun> {
      return asActivity(() => tracker.finishRun(input.pipeline, input.run, input.status));
    },
    /** The trials of a run, sorted by a final metric (trials lacking it last), `trial` or `startedAt`. */
    async listTrials(input: ListTrialsInput): Promise<Trial[]> {
      const { pipeline, run, sortBy, order, limit } = input;
      return asActivity(() => tracker.listTrials(pipeline, run, { sortBy, order, limit }));
    },
  };
}

export type TrackingActivities = ReturnType<typeof createTrackingActivities>;
