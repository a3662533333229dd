/**
 * Experiment tracking: runs (one per pipeline run, keyed by its workflow id) and their trials,
 * each with params, tags, final metrics, metric streams (name, step, value), logs and artifacts.
 *
 * - ./types.ts          records, inputs and the store layout
 * - ./tracker.ts        `ExperimentTracker`, the API the CLI, reports and activities use
 * - ./run-keys.ts       run ids (workflow ids with `/` and `:`) ↔ store key segments
 * - ./chunks.ts         append-only streams as numbered chunk objects (S3 cannot append)
 * - ./metric-lines.ts   the NDJSON form of metric chunks; de-duplication of retried batches
 * - ./trial-order.ts    `listTrials` ordering (trials lacking the sort metric last)
 * - ./activities.ts     `createTrackingActivities`: Temporal activities with typed non-retryable failures
 * - ./validate.ts, ./keys.ts, ./json-records.ts  input checks, keys, record updates
 */
export { ExperimentTracker } from './tracker';
export {
  createTrackingActivities,
  type FinishRunInput,
  type FinishTrialInput,
  type ListTrialsInput,
  type LogMetricsInput,
  type TrackingActivities,
  type TrialRef,
} from './activities';
export { runIdOf, runKeyOf } from './run-keys';
export { orderTrials } from './trial-order';
export type * from './types';
