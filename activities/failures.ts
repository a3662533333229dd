/**
 * How activities report failures: a catalogued `Failure` (common/failures/) leaves an activity as
 * the `ApplicationFailure` of its type, non-retryable unless the catalogue says it is retried,
 * with its details; anything else is rethrown unchanged, so Temporal retries it (network, a
 * crashed process).
 */
import { Failure, toApplicationFailure } from '../common/failures';

/** A `Failure` as the `ApplicationFailure` Temporal records; any other error unchanged. */
export function toActivityFailure(error: unknown): unknown {
  return error instanceof Failure ? toApplicationFailure(error) : error;
}

/** Runs an activity's work, turning catalogued failures into `ApplicationFailure`s. */
export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
