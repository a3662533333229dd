/** Failures of experiment tracking (activities/tracking/). */
import { Failure } from './failure';

/** The failure types of the tracker, with the input failures its checks raise. */
export type TrackingFailureType = 'RunNotFound' | 'TrialNotFound' | 'InvalidName' | 'InvalidArgument';

/** Base of the tracker's own failures. */
export abstract class TrackingError<T extends TrackingFailureType = TrackingFailureType> extends Failure<T> {}

/** Thrown when a run was never started. */
export class RunNotFoundError extends TrackingError<'RunNotFound'> {
  override readonly name = 'RunNotFoundError';
  constructor(
    readonly pipeline: string,
    readonly run: string,
  ) {
    super('RunNotFound', `pipeline ${pipeline} has no tracked run ${run}`);
  }
}

/** Thrown when a trial was never started. */
export class TrialNotFoundError extends TrackingError<'TrialNotFound'> {
  override readonly name = 'TrialNotFoundError';
  constructor(
    readonly pipeline: string,
    readonly run: string,
    readonly trial: number,
  ) {
    super('TrialNotFound', `run ${run} of pipeline ${pipeline} has no trial ${trial}`);
  }
}
