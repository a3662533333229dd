/**
 * `FilesystemBlobStore`: objects as plain files under a root folder (the local default,
 * `.mlops/store`). Safe for several processes sharing the folder:
 *
 * - Every write streams into a temp file (hashing it on the way), then renames it into place:
 *   readers see the old body or the new one, never a partial one.
 * - The etag is the body's sha256, kept in a metadata record outside the key space
 *   (./filesystem-layout.ts), so `head` and `list` never re-read bodies.
 * - Writes to a key (put, delete, conditional writes) hold that key's lock (./file-lock.ts)
 *   only for the rename and the record update, never while streaming the body.
 * - Readers take no lock. When a record does not match the body it sits beside (a write is
 *   between its two renames, or a process died there), the reader waits for the key's lock and
 *   rebuilds the record from the body if it is still stale.
 *
 * Limitations of folders: a key cannot be both an object and a prefix of another (`a` and
 * `a/b`); such a write is refused with `InvalidKeyError`. `PutOptions.contentType` is not kept.
 */
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { InvalidKeyError, NotFoundError } from '../../common/errors';
import { discardBody } from './body';
import { FileLocks, type FileLockOptions } from './file-lock';
import {
  errorCode,
  hashFile,
  isMissing,
  pruneEmptyParents,
  readMeta,
  renameCreatingParent,
  stampOf,
  statFile,
  sweepStaleTemps,
  writeMeta,
  writeTemp,
  type TempFile,
} from './filesystem-files';
import { FilesystemLayout } from './filesystem-layout';
import { walkKeys } from './filesystem-list';
import { validatePrefix } from './keys';
import type { BlobStore, Body, CompareAndSwapResult, ObjectInfo, PutIfAbsentResult, PutOptions } from './types';

export interface FilesystemBlobStoreOptions extends FileLockOptions {
  /** The store's URI. @default the root as a file:// URL */
  uri?: string;
  /** fsync each body before it is renamed into place, so a power cut cannot leave it torn. @default true */
  durable?: boolean;
  /** How many objects `list` reads metadata for at once. @default 256 */
  pageSize?: number;
}

/** Temp files untouched this long were left by a writer that died; the first write of a store clears them. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** A `BlobStore` on a local (or shared) folder. */
export class FilesystemBlobStore implements BlobStore {
  readonly uri: string;
  readonly layout: FilesystemLayout;
  private readonly locks: FileLocks;
  private readonly durable: boolean;
  private readonly pageSize: number;
  private swept: Promise<void> | undefined;

  constructor(root: string, options: FilesystemBlobStoreOptions = {}) {
    this.layout = new FilesystemLayout(root);
    this.uri = options.uri ?? pathToFileURL(this.layout.root).href;
    this.locks = new FileLocks(options);
    this.durable = options.durable ?? true;
    this.pageSize = Math.max(1, options.pageSize ?? 256);
  }

  /** Streams an object's body; throws `NotFoundError` when absent. */
  async get(key: string): Promise<Readable> {
    const file = this.layout.objectPath(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (isMissing(error) || errorCode(error) === 'EISDIR') throw new NotFoundError(key);
      throw error;
    }
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new NotFoundError(key);
    }
    return handle.createReadStream({ highWaterMark: 1 << 20 });
  }

  /** Reads a whole (small) object; throws `NotFoundError` when absent. */
  async getBytes(key: string): Promise<Buffer> {
    const file = this.layout.objectPath(key);
    try {
      return await fs.readFile(file);
    } catch (error) {
      if (isMissing(error) || errorCode(error) === 'EISDIR') throw new NotFoundError(key);
      throw error;
    }
  }

  /** Writes an object, replacing any previous body. */
  async put(key: string, body: Body, _options?: PutOptions): Promise<{ etag: string }> {
    this.layout.objectPath(key);
    return this.writeThen(key, body, async (temp) => {
      await this.commit(key, temp);
      return { etag: temp.etag };
    });
  }

  /** Object metadata, or `undefined` when absent. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.layout.objectPath(key);
    const fast = await this.readInfo(key, file);
    if (fast !== 'stale') return fast;
    return this.locks.withLock(this.layout.lockFile(key), () => this.currentInfo(key));
  }

  /** Objects whose key starts with `prefix`, in key order, read lazily folder by folder. */
  list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    return walkKeys(this.layout.root, prefix, (key) => this.head(key), this.pageSize);
  }

  /** Deletes an object (absent is fine) and prunes folders it leaves empty. */
  async delete(key: string): Promise<void> {
    const file = this.layout.objectPath(key);
    await this.locks.withLock(this.layout.lockFile(key), async () => {
      if (!(await statFile(file))) return;
      await fs.rm(file, { force: true });
      await fs.rm(this.layout.metaPath(key), { force: true });
    });
    await pruneEmptyParents(path.dirname(file), this.layout.root);
  }

  /** Writes only if no object exists at `key`; an unread stream body is destroyed when it exists. */
  async putIfAbsent(key: string, body: Body, _options?: PutOptions): Promise<PutIfAbsentResult> {
    const existing = await this.head(key);
    if (existing) {
      discardBody(body);
      return { created: false, etag: existing.etag };
    }
    return this.writeThen(key, body, async (temp): Promise<PutIfAbsentResult> => {
      const current = await this.currentInfo(key);
      if (current) return { created: false, etag: current.etag };
      await this.commit(key, temp);
      return { created: true, etag: temp.etag };
    });
  }

  /** Replaces the object only if its etag is still `expectedEtag` (`null`: only if absent). */
  async compareAndSwap(
    key: string,
    expectedEtag: string | null,
    body: Body,
    _options?: PutOptions,
  ): Promise<CompareAndSwapResult> {
    this.layout.objectPath(key);
    return this.writeThen(key, body, async (temp): Promise<CompareAndSwapResult> => {
      const current = await this.currentInfo(key);
      const currentEtag = current?.etag ?? null;
      if (currentEtag !== expectedEtag) return { swapped: false, currentEtag };
      await this.commit(key, temp);
      return { swapped: true, etag: temp.etag };
    });
  }

  /** Streams `body` to a temp file, then runs `decide` under the key's lock; the temp never outlives it. */
  private async writeThen<T>(key: string, body: Body, decide: (temp: TempFile) => Promise<T>): Promise<T> {
    await (this.swept ??= sweepStaleTemps(this.layout.tmpDir, STALE_TEMP_MS));
    const temp = await writeTemp(body, this.layout.tmpDir, this.durable);
    try {
      return await this.locks.withLock(this.layout.lockFile(key), () => decide(temp));
    } finally {
      await fs.rm(temp.path, { force: true }); // already renamed away when committed
    }
  }

  /** Renames the temp body into place, then records its etag. Caller holds the key's lock. */
  private async commit(key: string, temp: TempFile): Promise<void> {
    const file = this.layout.objectPath(key);
    try {
      await renameCreatingParent(temp.path, file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new InvalidKeyError(
          key,
          'a prefix of it is already an object (a filesystem store cannot hold a and a/b)',
        );
      }
      if (code === 'EISDIR' || code === 'ENOTEMPTY') {
        throw new InvalidKeyError(key, 'other objects live under it (a filesystem store cannot hold a and a/b)');
      }
      throw error;
    }
    await writeMeta(this.layout.metaPath(key), { key, etag: temp.etag, stamp: temp.stamp }, this.layout.tmpDir);
  }

  /** Lock-free read of an object's info; `'stale'` when its record does not match its body. */
  private async readInfo(key: string, file: string): Promise<ObjectInfo | undefined | 'stale'> {
    const stat = await statFile(file);
    if (!stat) return undefined;
    const meta = await readMeta(this.layout.metaPath(key));
    if (meta?.stamp !== stampOf(stat)) return 'stale';
    return toInfo(key, meta.etag, stat);
  }

  /** The current info, rebuilding a stale record from the body. Caller holds the key's lock. */
  private async currentInfo(key: string): Promise<ObjectInfo | undefined> {
    const file = this.layout.objectPath(key);
    const info = await this.readInfo(key, file);
    if (info !== 'stale') return info;
    // No write is in flight (we hold the lock): a crash or a hand edit left the record behind.
    const hashed = await hashFile(file);
    if (!hashed) return undefined;
    const record = { key, etag: hashed.etag, stamp: stampOf(hashed.stat) };
    await writeMeta(this.layout.metaPath(key), record, this.layout.tmpDir);
    return toInfo(key, hashed.etag, hashed.stat);
  }
}

function toInfo(key: string, etag: string, stat: BigIntStats): ObjectInfo {
  return { key, size: Number(stat.size), etag, lastModified: stat.mtime };
}
