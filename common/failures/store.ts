/**
 * Failures of the object store (activities/storage/). All are the system's. Most are retried: in
 * an activity every key is built by code from checked input, so even an invalid key is a bug a
 * redeployed worker can get past. The first four's `type` is the class name, as they have always
 * left activities. `StoreAccessDenied` is not retried: a store that refuses the worker's
 * credentials refuses them again until someone fixes the configuration.
 */
import { Failure } from './failure';

/** Base of the store's failures. */
export abstract class StoreError<T extends StoreFailureType = StoreFailureType> extends Failure<T> {}

/** The failure types of the store. */
export type StoreFailureType =
  'InvalidKeyError' | 'NotFoundError' | 'LockTimeoutError' | 'ContentionError' | 'StoreAccessDenied';

/** Thrown when a store key is not a safe relative path (`..`, absolute, empty segments). */
export class InvalidKeyError extends StoreError<'InvalidKeyError'> {
  override readonly name = 'InvalidKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super('InvalidKeyError', `invalid store key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** Thrown when a store object that must exist does not. */
export class NotFoundError extends StoreError<'NotFoundError'> {
  override readonly name = 'NotFoundError';
  constructor(readonly key: string) {
    super('NotFoundError', `no object at ${key}`);
  }
}

/** Thrown when the filesystem store's lock could not be taken in time. */
export class LockTimeoutError extends StoreError<'LockTimeoutError'> {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly lockFile: string,
    readonly waitedMs: number,
    readonly holder: string,
  ) {
    super('LockTimeoutError', `timed out after ${waitedMs} ms waiting for lock ${lockFile} (held by ${holder})`);
  }
}

/** Thrown when an update lost `attempts` races in a row to concurrent writers of the same key. */
export class ContentionError extends StoreError<'ContentionError'> {
  override readonly name = 'ContentionError';
  constructor(
    readonly key: string,
    readonly attempts: number,
  ) {
    super('ContentionError', `gave up updating ${key} after ${attempts} concurrent changes; retry`);
  }
}

/** Where and as whom a refused store request went: never the secret. */
export interface StoreAccess {
  /** The S3 API endpoint, userinfo masked (`AWS S3 (<region>)` when none is set). */
  endpoint: string;
  bucket: string;
  /** The access key id the request was signed with, or `unknown`. */
  accessKeyId: string;
  /** The S3 operation refused, e.g. `HeadObject`. */
  operation: string;
  /** The S3 error code when the store sent one (`SignatureDoesNotMatch`, `InvalidAccessKeyId`, `AccessDenied`). */
  code?: string;
}

/** Thrown when the object store refuses the worker's credentials or permissions (HTTP 403). */
export class StoreAccessDeniedError extends StoreError<'StoreAccessDenied'> {
  override readonly name = 'StoreAccessDeniedError';
  constructor(readonly access: StoreAccess) {
    super(
      'StoreAccessDenied',
      `the object store refused access (403${access.code ? ` ${access.code}` : ''} on ${access.operation}): ` +
        `endpoint ${access.endpoint}, bucket ${access.bucket}, access key id ${access.accessKeyId}; ` +
        'check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that this key may read and write the bucket',
      { details: { ...access } },
    );
  }
}
