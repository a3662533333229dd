/**
 * Where a snapshot reads its files from. A local folder (an absolute path or a `file://` URL) is
 * read straight from the filesystem (./local-source.ts): hashing on worker threads, stat stamps
 * for the cache. Any other URI (`s3://bucket/prefix`, …) is a store prefix opened through the
 * worker's `openStore` (./store-source.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { LocalSource } from './local-source';
import type { DatasetSource } from './source-types';
import { StoreSource } from './store-source';

export type { DatasetSource, HashedEntry, SourceEntry } from './source-types';

/** Opens the source a snapshot input names; `InvalidInput` or `DatasetSourceInvalid` when it cannot. */
export async function openSource(source: unknown, openStore?: (uri: string) => BlobStore): Promise<DatasetSource> {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new DataError('InvalidInput', 'source: must be a folder path or a store URI');
  }
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
