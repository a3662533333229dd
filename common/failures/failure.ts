/**
 * The base of every catalogued failure, and how one becomes the `ApplicationFailure` Temporal
 * records. A `Failure` is a plain `Error` until it is converted: activities convert what they
 * throw (activities/failures.ts), workflows convert what they fail with. A `Failure` thrown
 * unconverted in workflow code fails the workflow task, which Temporal retries, as any bug does.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES, type Fault, type FailureType } from './catalogue';

/** Thrown when an operation fails in one of the catalogued ways; `type` names which (./catalogue.ts). */
export abstract class Failure<T extends FailureType = FailureType> extends Error {
  /** Structured facts for the failure's details (e.g. a report key); recorded as `details[0]`. */
  readonly details?: unknown;

  constructor(
    readonly type: T,
    message: string,
    options?: { details?: unknown; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.details !== undefined) this.details = options.details;
  }

  /** Whether Temporal retries an activity that fails with it (the catalogue says). */
  get retryable(): boolean {
    return FAILURES[this.type].retryable;
  }

  /** Whose fault it is (the catalogue says). */
  get fault(): Fault {
    return FAILURES[this.type].fault;
  }
}

/** Whether `error` is a catalogued failure (of `type`, when given). */
export function isFailure<T extends FailureType>(error: unknown, type?: T): error is Failure<T> {
  return error instanceof Failure && (type === undefined || error.type === type);
}

/**
 * `failure` as the `ApplicationFailure` that leaves an activity or fails a workflow: same type,
 * message and stack, its details as `details[0]`, its cause kept, and non-retryable unless the
 * catalogue says the type is retried.
 */
export function toApplicationFailure(failure: Failure): ApplicationFailure {
  const converted = ApplicationFailure.create({
    type: failure.type,
    message: failure.message,
    nonRetryable: !failure.retryable,
    details: failure.details === undefined ? undefined : [failure.details],
    cause: failure.cause instanceof Error ? failure.cause : undefined,
  });
  if (failure.stack !== undefined) converted.stack = failure.stack;
  return converted;
}
