/**
 * A store prefix (`s3://bucket/prefix`, …) as a snapshot source: the objects under it are the
 * files, their keys (relative to the prefix) the paths. The prefix is the store's own, or a key
 * prefix inside it (`keyPrefix`, for a folder of the platform's store). The stamp is size and etag, which change
 * with the content; an object is re-read when its etag moved while it was being hashed.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { checkFileLimit, DEFAULT_MAX_SNAPSHOT_FILES } from './limits';
import type {
  DatasetSource,
  ExpectedContent,
  HashedEntry,
  HashOptions,
  ScanOptions,
  SourceEntry,
} from './source-types';
import { verifyStream } from './verify-stream';

const READ_ATTEMPTS = 3;

/** Objects under a store prefix. */
export class StoreSource implements DatasetSource {
  private readonly listPrefix: string;

  constructor(
    readonly id: string,
    private readonly store: BlobStore,
    keyPrefix = '',
  ) {
    this.listPrefix = keyPrefix === '' ? '' : `${keyPrefix.replace(/\/+$/, '')}/`;
  }

  /** Every object under the prefix, in key order (which is byte order); past `maxFiles` objects are only counted. */
  async scan({ maxFiles = DEFAULT_MAX_SNAPSHOT_FILES }: ScanOptions = {}): Promise<SourceEntry[]> {
    const out: SourceEntry[] = [];
    let over = 0;
    try {
      for await (const info of this.store.list(this.listPrefix)) {
        if (out.length >= maxFiles) {
          over++;
          continue;
        }
        const rel = info.key.slice(this.listPrefix.length);
        out.push({ path: rel, size: info.size, stamp: `${info.size}:${info.etag}`, location: info.key });
      }
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'NoSuchBucket' || name === 'AccessDenied') {
        throw new DataError('DatasetSourceInvalid', `cannot list source ${this.id}: ${name}`, undefined, {
          cause: error,
        });
      }
      throw error;
    }
    checkFileLimit(out.length + over, this.id, maxFiles);
    return out;
  }

  /** Streams and hashes one object on this thread (the network, not the CPU, is the limit here). */
  async hash(entry: SourceEntry, { keepBytes }: HashOptions): Promise<HashedEntry> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.store.head(entry.location);
      if (!before) throw new Error(`${entry.path} disappeared from ${this.id} during the snapshot`);
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of await this.store.get(entry.location)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
        if (before.size <= keepBytes) chunks.push(bytes);
      }
      const after = await this.store.head(entry.location);
      if (after?.etag === before.etag && size === before.size) {
        const bytes = before.size <= keepBytes ? Buffer.concat(chunks) : undefined;
        return { digest: hash.digest('hex'), size, stamp: `${size}:${before.etag}`, bytes, stable: true };
      }
      if (attempt >= READ_ATTEMPTS) throw new Error(`${entry.path} in ${this.id} kept changing while it was read`);
    }
  }

  /** Streams one object, checking its digest on the way (an etag proves no content across overwrites). */
  async read(entry: SourceEntry, expected: ExpectedContent): Promise<Readable> {
    return verifyStream(await this.store.get(entry.location), expected.digest, expected.size, () => {
      return new Error(`${entry.path} in ${this.id} changed during the snapshot; retry`);
    });
  }

  /** Nothing to release: the store belongs to whoever opened it. */
  async close(): Promise<void> {}
}
