/** Training errors: `PermanentError`s with a stable `type` (non-retryable once wrapped as activity failures). */
import { PermanentError } from '../../common/errors';

export type TrainingFailureType =
  'InvalidTrainingJob' | 'TrainingJobNotFound' | 'TrainingJobNotSucceeded' | 'TrainingBackendUnavailable';

/** Base of the training errors: `type` is the stable failure type. */
export abstract class TrainingError extends PermanentError {
  abstract override readonly type: TrainingFailureType;
}

/** Thrown when a job description breaks the `TrainingJob` contract; the message names the field. */
export class InvalidTrainingJobError extends TrainingError {
  override readonly name = 'InvalidTrainingJobError';
  readonly type = 'InvalidTrainingJob';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Thrown when no job has the given id on this backend. */
export class TrainingJobNotFoundError extends TrainingError {
  override readonly name = 'TrainingJobNotFoundError';
  readonly type = 'TrainingJobNotFound';
  constructor(readonly jobId: string) {
    super(`no training job ${JSON.stringify(jobId)}`);
  }
}

/** Thrown when `result` is asked of a job that has not succeeded. */
export class TrainingJobNotSucceededError extends TrainingError {
  override readonly name = 'TrainingJobNotSucceededError';
  readonly type = 'TrainingJobNotSucceeded';
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`training job ${jobId} has no result: it is ${state}`);
  }
}

/** Thrown when a job asks for a backend this worker is not configured for (e.g. `ray` without MLOPS_RAY_ADDRESS). */
export class TrainingBackendUnavailableError extends TrainingError {
  override readonly name = 'TrainingBackendUnavailableError';
  readonly type = 'TrainingBackendUnavailable';
  constructor(
    readonly backend: string,
    hint: string,
  ) {
    super(`training backend ${JSON.stringify(backend)} is not configured on this worker: ${hint}`);
  }
}
