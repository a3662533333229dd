/** Failures of training jobs and their backends (activities/training/). */
import { Failure } from './failure';

/** The failure types of training. */
export type TrainingFailureType =
  | 'InvalidTrainingJob'
  | 'TrainingJobNotFound'
  | 'TrainingJobNotSucceeded'
  | 'TrainingBackendUnavailable'
  | 'TrainingJobFailed'
  | 'TrainingJobLost'
  | 'TrainingJobCancelled'
  | 'TrainingOutputMissing'
  | 'RayHeadError';

/** Base of the training failures. */
export abstract class TrainingError<T extends TrainingFailureType = TrainingFailureType> extends Failure<T> {}

/** Thrown when a job description breaks the `TrainingJob` contract; the message names the field. */
export class InvalidTrainingJobError extends TrainingError<'InvalidTrainingJob'> {
  override readonly name = 'InvalidTrainingJobError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('InvalidTrainingJob', `${field}: ${problem}`);
  }
}

/** Thrown when no job has the given id on this backend. */
export class TrainingJobNotFoundError extends TrainingError<'TrainingJobNotFound'> {
  override readonly name = 'TrainingJobNotFoundError';
  constructor(readonly jobId: string) {
    super('TrainingJobNotFound', `no training job ${JSON.stringify(jobId)}`);
  }
}

/** Thrown when `result` is asked of a job that has not succeeded. */
export class TrainingJobNotSucceededError extends TrainingError<'TrainingJobNotSucceeded'> {
  override readonly name = 'TrainingJobNotSucceededError';
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super('TrainingJobNotSucceeded', `training job ${jobId} has no result: it is ${state}`);
  }
}

/** Thrown when a training job succeeded but uploaded no output folder, so there is no model to evaluate. */
export class TrainingOutputMissingError extends TrainingError<'TrainingOutputMissing'> {
  override readonly name = 'TrainingOutputMissingError';
  constructor(readonly job: string) {
    super('TrainingOutputMissing', `training job ${job} succeeded but uploaded no output folder (no model)`);
  }
}

/** Thrown when a job asks for a backend this worker is not configured for (e.g. `ray` without MLOPS_RAY_ADDRESS). */
export class TrainingBackendUnavailableError extends TrainingError<'TrainingBackendUnavailable'> {
  override readonly name = 'TrainingBackendUnavailableError';
  constructor(
    readonly backend: string,
    hint: string,
  ) {
    super(
      'TrainingBackendUnavailable',
      `training backend ${JSON.stringify(backend)} is not configured on this worker: ${hint}`,
    );
  }
}

/** How a job ended, as its backend reports it. */
export interface JobEnd {
  exitCode: number | null;
  signal?: string;
  reason: string;
}

/** Thrown when a job fails on its own (an exit code: bad params, a Python exception) or times out; not retried. */
export class TrainingJobFailedError extends TrainingError<'TrainingJobFailed'> {
  override readonly name = 'TrainingJobFailedError';
  declare readonly details: { jobId: string; exitCode: number | null; logTail: string };
  constructor(
    readonly jobName: string,
    readonly jobId: string,
    end: JobEnd,
    logTail: string,
  ) {
    const code = end.exitCode === null ? '' : ` with exit code ${end.exitCode}`;
    super('TrainingJobFailed', `training job ${jobName} (${jobId}) failed${code}: ${end.reason}`, {
      details: { jobId, exitCode: end.exitCode, logTail },
    });
  }
}

/** Thrown when a job is lost to the infrastructure (process vanished, killed by a signal); retried with a fresh job. */
export class TrainingJobLostError extends TrainingError<'TrainingJobLost'> {
  override readonly name = 'TrainingJobLostError';
  constructor(
    readonly jobName: string,
    readonly jobId: string,
    readonly attempt: number,
    readonly generation: number,
    end: JobEnd,
  ) {
    super('TrainingJobLost', `training job ${jobName} (${jobId}) was lost in attempt ${attempt}: ${end.reason}`, {
      details: { jobId, attempt, generation, exitCode: end.exitCode, signal: end.signal ?? null },
    });
  }
}

/** Thrown when a job was cancelled outside the run that started it. */
export class TrainingJobCancelledError extends TrainingError<'TrainingJobCancelled'> {
  override readonly name = 'TrainingJobCancelledError';
  constructor(readonly jobId: string) {
    super('TrainingJobCancelled', `training job ${jobId} was cancelled outside this run`);
  }
}

/** Thrown when the Ray head answers a Jobs API request with an unexpected status; the message quotes its last line. */
export class RayHeadError extends TrainingError<'RayHeadError'> {
  override readonly name = 'RayHeadError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super('RayHeadError', `Ray head: ${what} answered ${status}: ${lastLine(body)}`);
  }
}

/** The last line of `text` with a word character in it, at most 500 characters. */
function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => /\w/.test(line));
  return (lines[lines.length - 1] ?? '').trim().slice(0, 500);
}
