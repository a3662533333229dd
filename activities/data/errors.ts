/**
 * Errors of the data activities. The plain functions throw `DataError` (a `UserError`, so the CLI
 * prints it without a stack); the activity wrappers turn it into a non-retryable
 * `ApplicationFailure` of the same `type`, which workflows match on.
 */
import { PermanentError } from '../../common/errors';

/** The stable failure types of the data activities. */
export type DataErrorType =
  /** A field of the input is malformed (dataset name, snapshot id, source URI). */
  | 'InvalidInput'
  /** The source cannot be snapshotted: missing or empty folder, unreadable file, symlink out of the root. */
  | 'DatasetSourceInvalid'
  /** A data file is malformed (ragged CSV, unterminated quote, invalid UTF-8). */
  | 'DatasetInvalid'
  /** No snapshot matches an id, prefix or `latest`, or it matches several. */
  | 'SnapshotNotFound'
  /** A stored manifest or blob does not match its digest, or names a path outside the target folder. */
  | 'SnapshotCorrupt'
  /** The snapshot did not meet its expectations; details carry the report key and the failed results. */
  | 'DatasetValidationFailed';

/** Thrown when a data operation cannot succeed as asked; retrying will not help. A malformed input field exits 2. */
export class DataError extends PermanentError {
  override readonly name = 'DataError';
  constructor(
    readonly type: DataErrorType,
    message: string,
    override readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, type === 'InvalidInput' ? 2 : 1, options);
  }
}

/** Whether `error` is a `DataError` (of `type`, when given). */
export function isDataError(error: unknown, type?: DataErrorType): error is DataError {
  return error instanceof DataError && (type === undefined || error.type === type);
}

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
