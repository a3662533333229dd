/**
 * Reading Node's system errors in the data activities. Their own failures are `DataError`s
 * (common/failures/data.ts), which the activity wrappers turn into non-retryable
 * `ApplicationFailure`s of the same `type`.
 */

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
