/**
 * Experiment tracking errors: `UserError`s with a stable `type`, turned into non-retryable
 * `ApplicationFailure`s by the activity wrappers (./activities.ts).
 */
import { UserError } from '../../common/errors';

export type TrackingFailureType = 'RunNotFound' | 'TrialNotFound' | 'InvalidName' | 'InvalidArgument';

/** Base of the tracker's user errors: `type` is the stable failure type. */
export abstract class TrackingError extends UserError {
  abstract readonly type: TrackingFailureType;
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

/** Thrown when a pipeline, metric or artifact name breaks its rule. */
export class InvalidTrackingNameError extends TrackingError {
  override readonly name = 'InvalidTrackingNameError';
  readonly type = 'InvalidName';
  constructor(
    readonly field: string,
    readonly value: unknown,
    rule: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not a valid name: ${rule}`);
  }
}

/** Thrown when an argument is missing or malformed; the message starts with the field's path. */
export class InvalidTrackingArgumentError extends TrackingError {
  override readonly name = 'InvalidTrackingArgumentError';
  readonly type = 'InvalidArgument';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}
