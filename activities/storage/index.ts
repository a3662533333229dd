/**
 * The object store. Everything the platform persists (dataset blobs and manifests, model
 * versions, aliases, experiment records, captures, reports) goes through one `BlobStore`:
 *
 * - ./types.ts        the `BlobStore` interface and its result types
 * - ./keys.ts         key rules: relative `/`-separated paths, nothing that escapes the store
 * - ./json.ts         JSON objects with their etags, backoff for lost races, bounded parallel maps
 * - ./filesystem.ts   `FilesystemBlobStore`, the local default (`file://…`, `.mlops/store`)
 * - ./s3.ts           `S3BlobStore`, for AWS S3 and S3 APIs such as MinIO and R2 (`s3://…`)
 * - this file         `createBlobStore(config)`, the one place a backend is picked
 *
 * Read-modify-write of a mutable object (aliases, refs) goes: `head` for the etag, then read
 * the body, then `compareAndSwap(key, etag, newBody)`, retrying from `head` when it reports
 * `swapped: false`. Reading the etag before the body is what makes this safe: a body newer
 * than the etag only makes the swap fail. Both backends pass one contract suite
 * (test/storage/contract.test.ts).
 */
import type { StoreConfig } from '../../lib/config/schema';
import { FilesystemBlobStore } from './filesystem';
import { S3BlobStore } from './s3';
import type { BlobStore } from './types';

export type { BlobStore, Body, CompareAndSwapResult, ObjectInfo, PutIfAbsentResult, PutOptions } from './types';
export { validateKey, validatePrefix } from './keys';
export { FilesystemBlobStore, type FilesystemBlobStoreOptions } from './filesystem';
export { S3BlobStore, type S3BlobStoreOptions } from './s3';
export { ContentionError, InvalidKeyError, LockTimeoutError, NotFoundError, StoreError } from '../../common/failures';

/** Builds the store that `config` names: a folder (`kind: 'file'`) or a bucket and prefix (`kind: 's3'`). */
export function createBlobStore(config: StoreConfig): BlobStore {
  switch (config.kind) {
    case 'file':
      return new FilesystemBlobStore(config.root, { uri: config.uri });
    case 's3':
      return new S3BlobStore({
        bucket: config.bucket,
        prefix: config.prefix,
        uri: config.uri,
        clientConfig: {
          region: config.region,
          endpoint: config.endpoint,
          forcePathStyle: config.forcePathStyle,
          credentials: config.credentials,
        },
      });
  }
}
