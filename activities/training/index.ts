/**
 * Training: running a job's command (e.g. `python train.py`) on a backend and reading back its
 * state, logs, metric stream and outputs. Every backend implements `TrainingBackend`.
 *
 * - ./types.ts           `TrainingBackend`, `TrainingJob`, `JobStatus`, `MetricPoint`, `JobResult`
 * - ./local-process.ts   `LocalProcessBackend`: detached local process groups that survive the worker
 *                        (./job-files.ts layout, ./launch.ts wrapper, ./process-group.ts signals, ./stream-reads.ts
 *                        log/metric reads, ./outputs.ts uploads, ./validate-job.ts input checks)
 * - ./errors.ts          `TrainingError`s with stable types (non-retryable as activity failures)
 * - ./activity.ts        `runTrainingJob`: submit, poll, heartbeat, re-attach, cancel, classify failures
 * - later: ./ray.ts      Ray Jobs REST API
 *
 * `createTrainingBackend(kind, deps)` is the one place a backend is picked.
 */
import { LocalProcessBackend, type LocalProcessDeps } from './local-process';
import type { TrainingBackend } from './types';

export { LocalProcessBackend, type LocalProcessDeps } from './local-process';
export {
  createTrainingActivities,
  type RunTrainingJobInput,
  type TrainingHeartbeat,
  type TrainingJobOutcome,
} from './activity';
export {
  InvalidTrainingJobError,
  TrainingError,
  TrainingJobNotFoundError,
  TrainingJobNotSucceededError,
  type TrainingFailureType,
} from './errors';
export type * from './types';

/** The backends by kind, with the dependencies each needs. */
export interface TrainingBackendDeps {
  local: LocalProcessDeps;
}

export type TrainingBackendKind = keyof TrainingBackendDeps;

/** Builds the training backend of `kind`. */
export function createTrainingBackend<K extends TrainingBackendKind>(
  kind: K,
  deps: TrainingBackendDeps[K],
): TrainingBackend {
  switch (kind) {
    case 'local':
      return new LocalProcessBackend(deps) satisfies TrainingBackend;
    default:
      throw new Error(`unknown training backend ${String(kind)}`);
  }
}
