/**
 * Experiment tracking errors: `UserError`s with a stable `type`, turned into non-retryable
 * `ApplicationFailure`s by the activity wrappers (./activities.ts).
 */
import { InvalidArgumentError, InvalidNameError, PermanentError } from '../../common/errors';

export { InvalidArgumentError, InvalidNameError };

export type TrackingFailureType = 'RunNotFound' | 'TrialNotFound' | 'InvalidName' | 'InvalidArgument';

/** Base of the tracker's user errors: `type` is the stable failure type. */
export abstract class TrackingError extends PermanentError {
  abstract override readonly type: TrackingFailureType;
}

/** Thrown when a run was never started. */
export class RunNotFoundError extends TrackingError {
  override readonly name = 'RunNotFoundError';
  readonly type = 'RunNotFound';
  constructor(
    readonly pipeline: string,
    readonly run: string,
  ) {
    super(`pipeline ${pipeline} has no tracked run ${run}`);
  }
}

/** Thrown when a trial was never started. */
export class TrialNotFoundError extends TrackingError {
  override readonly name = 'TrialNotFoundError';
  readonly type = 'TrialNotFound';
  constructor(
    readonly pipeline: string,
    readonly run: string,
    readonly trial: number,
  ) {
    super(`run ${run} of pipeline ${pipeline} has no trial ${trial}`);
  }
}
