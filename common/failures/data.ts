/**
 * Failures of the data activities (activities/data/): one class, `DataError`, whose `type` says
 * which of the catalogue's data failures it is; the details carry what the type documents.
 */
import { Failure } from './failure';

/** The failure types of the data activities (./catalogue.ts says when each is thrown). */
export type DataErrorType =
  | 'InvalidInput'
  | 'DatasetSourceInvalid'
  | 'DatasetInvalid'
  | 'SnapshotNotFound'
  | 'SnapshotCorrupt'
  | 'SnapshotTooLarge'
  | 'DatasetValidationFailed';

/** Thrown when a data operation cannot succeed as asked: a bad input, source or file, a missing or corrupt snapshot. */
export class DataError extends Failure<DataErrorType> {
  override readonly name = 'DataError';
  constructor(type: DataErrorType, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(type, message, { details, cause: options?.cause });
  }
}

/** Whether `error` is a `DataError` (of `type`, when given). */
export function isDataError(error: unknown, type?: DataErrorType): error is DataError {
  return error instanceof DataError && (type === undefined || error.type === type);
}
