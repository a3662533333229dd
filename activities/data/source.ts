/**
 * Where a snapshot reads its files from. A local folder (an absolute path or a `file://` URL) is
 * read straight from the filesystem (./local-source.ts): hashing on worker threads, stat stamps
 * for the cache. Any other URI (`s3://bucket/prefix`, …) is a store prefix opened through the
 * worker's `openStore` (./store-source.ts). A URI inside the platform's own store (a job's `outputUri`,
 * e.g. `file:///…/.mlops/store/experiments/…/output` or `s3://bucket/prefix/experiments/…/output`) is
 * read through that store: a filesystem store's folder straight from disk, any other store by key.
 * The filesystem store's URI is not always a well-formed file URL (`file://<root>` as configured, a
 * root may hold `#`, `?` or `%`), so its keys are mapped to paths by the store, not by URL parsing.
 * An upload, `upload://<hex>`, is a folder a client hashed and stored itself (./upload-source.ts):
 * read from the platform's store, never from this host's disk, so the source roots do not apply.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FilesystemBlobStore, validateKey } from '../storage';
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { LocalSource } from './local-source';
import { checkSourceRoots } from './source-roots';
import type { DatasetSource } from './source-types';
import { StoreSource } from './store-source';
import { uploadHexOf } from './upload-manifest';
import { UploadSource } from './upload-source';

export type { DatasetSource, HashedEntry, SourceEntry } from './source-types';

/**
 * Opens the source a snapshot input names (`store`, when given, is the platform's store, which a
 * source inside it is read through); `InvalidInput` or `DatasetSourceInvalid` when it cannot.
 * With `roots`, a local folder outside them (after resolving symlinks) is refused
 * (./source-roots.ts); a source inside the platform's store, an upload too, is always allowed.
 */
export async function openSource(
  source: unknown,
  openStore?: (uri: string) => BlobStore,
  store?: BlobStore,
  roots?: readonly string[],
): Promise<DatasetSource> {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new DataError('InvalidInput', 'source: must be a folder path or a store URI');
  }
  const upload = uploadHexOf(source);
  if (upload !== undefined) {
    if (!store) throw new DataError('InvalidInput', `source: ${source}: no platform store to read the upload from`);
    return UploadSource.open(store, upload);
  }
  const inStore = store && keyInStore(source, store);
  if (store && inStore !== undefined) {
    if (store instanceof FilesystemBlobStore) return LocalSource.open(store.layout.objectPath(inStore));
    return new StoreSource(source, store, inStore);
  }
  checkSourceRoots(source, roots);
  const opened = await openOutsideStore(source, openStore);
  // the folder as opened, its symlinks resolved: a link swapped in after the check is caught here
  if (opened instanceof LocalSource) checkSourceRoots(opened.id, roots);
  return opened;
}

async function openOutsideStore(source: string, openStore?: (uri: string) => BlobStore): Promise<DatasetSource> {
  if (source.startsWith('file:')) {
    let folder: string;
    try {
      folder = fileURLToPath(source);
    } catch (error) {
      throw new DataError(
        'InvalidInput',
        `source: ${source} is not a file URL of an absolute path (e.g. file:///data/churn)`,
        undefined,
        { cause: error },
      );
    }
    return LocalSource.open(folder);
  }
  if (path.isAbsolute(source)) return LocalSource.open(source);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    if (!openStore) throw new DataError('InvalidInput', `source: ${source}: no store opener is configured for URIs`);
    return new StoreSource(source, openStore(source));
  }
  throw new DataError(
    'InvalidInput',
    `source: must be an absolute folder path, a file:// URL or a store URI such as s3://bucket/prefix (got ${JSON.stringify(source)})`,
  );
}

/** The key prefix `source` names inside `store` (no trailing slash), or undefined when it lies elsewhere. */
function keyInStore(source: string, store: BlobStore): string | undefined {
  const root = `${store.uri.replace(/\/+$/, '')}/`;
  if (!source.startsWith(root)) return undefined;
  const key = source.slice(root.length).replace(/\/+$/, '');
  try {
    validateKey(key);
  } catch (error) {
    throw new DataError('InvalidInput', `source: ${source}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return key;
}
