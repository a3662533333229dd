/**
 * How activities report permanent errors: a `PermanentError` (common/errors.ts) leaves an activity
 * as a non-retryable `ApplicationFailure` of the same `type`, with its details; anything else is
 * rethrown unchanged, so Temporal retries it (network, store outage, a crashed process).
 */
import { ApplicationFailure } from '@temporalio/common';
import { PermanentError } from '../common/errors';

/** A `PermanentError` as a non-retryable `ApplicationFailure`; any other error unchanged. */
export function toActivityFailure(error: unknown): unknown {
  if (!(error instanceof PermanentError)) return error;
  return ApplicationFailure.create({
    type: error.type,
    message: error.message,
    nonRetryable: true,
    details: error.details === undefined ? undefined : [error.details],
    cause: error,
  });
}

/** Runs an activity's work, turning permanent errors into non-retryable failures. */
export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
