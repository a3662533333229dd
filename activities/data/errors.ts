/**
 * Errors of the data activities. The plain functions throw `DataError` (common/failures/data.ts);
 * the activity wrappers turn it into a non-retryable `ApplicationFailure` of the same `type`,
 * which workflows match on.
 */
export { DataError, isDataError, type DataErrorType } from '../../common/failures';

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
