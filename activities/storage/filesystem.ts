/**
 * `FilesystemBlobStore`: objects as plain files under a root folder (the local default,
 * `.mlops/store`). Safe for several processes sharing the folder:
 *
 * - Every write streams into a temp file (hashing it on the way), then renames it into place
 *   (`putIfAbsent` hard-links it instead): readers see the old body or the new one, never a
 *   partial one.
 * - The etag is the body's sha256, kept in a metadata record outside the key space
 *   (./filesystem-layout.ts), so `head` and `list` never re-read bodies.
 * - Writes to a key (put, delete, compareAndSwap) hold that key's lock (./file-lock.ts) only
 *   for the rename and the record update, never while streaming the body. `putIfAbsent` takes
 *   no lock: `link` refuses an existing key atomically, and its record is written beforehand.
 * - Readers take no lock. When a record does not match the body it sits beside (a write is
 *   between its two renames, or a process died there), the reader waits for the key's lock and
 *   rebuilds the record from the body if it is still stale.
 *
 * - `openBatch` (./filesystem-batch.ts) writes content-addressed bodies without a per-body fsync
 *   and makes them durable together at its commit, before any of them appears at its key.
 *
 * Limitations of folders: a key cannot be both an object and a prefix of another (`a` and
 * `a/b`); such a write is refused with `InvalidKeyError`. `PutOptions.contentType` is not kept.
 */
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { InvalidKeyError, NotFoundError } from '../../common/failures';
import { discardBody } from './body';
import { FileLocks, type FileLockOptions } from './file-lock';
import { FilesystemBlobBatch } from './filesystem-batch';
import {
  errorCode,
  hashFile,
  isMissing,
  linkCreatingParent,
  pruneEmptyParents,
  readMeta,
  renameCreatingParent,
  stampOf,
  statFile,
  sweepStaleTemps,
  writeMeta,
  writeMetaBeforeObject,
  writeTemp,
  type TempFile,
} from './filesystem-files';
import { FilesystemLayout } from './filesystem-layout';
import { walkKeys } from './filesystem-list';
import { validatePrefix } from './keys';
import type {
  BlobBatch,
  BlobStore,
  Body,
  CompareAndSwapResult,
  ObjectInfo,
  PutIfAbsentResult,
  PutOptions,
} from './types';

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

  /**
   * Writes only if no object exists at `key`; an unread stream body is destroyed when it exists.
   * Takes no lock: the body is linked into place (`link` fails atomically when the key exists, so
   * exactly one writer wins, across processes too), and its etag record goes in just before the
   * link, describing the temp file's inode, which the link keeps: the object is never visible
   * without a matching record, except where a losing writer's record lands last (readers then
   * rebuild it, as for any stale record).
   */
  async putIfAbsent(key: string, body: Body, _options?: PutOptions): Promise<PutIfAbsentResult> {
    const file = this.layout.objectPath(key);
    const existing = await this.head(key);
    if (existing) {
      discardBody(body);
      return { created: false, etag: existing.etag };
    }
    await (this.swept ??= sweepStaleTemps(this.layout.tmpDir, STALE_TEMP_MS));
    const temp = await writeTemp(body, this.layout.tmpDir, this.durable);
    const meta = this.layout.metaPath(key);
    try {
      for (let attempt = 0; ; attempt++) {
        await writeMetaBeforeObject(meta, { key, etag: temp.etag, stamp: temp.stamp }, this.layout.tmpDir);
        if (await this.link(key, temp.path, file, meta)) return { created: true, etag: temp.etag };
        const current = await this.head(key);
        if (current) return { created: false, etag: current.etag };
        // Deleted between our link attempt and the head: the key is free again.
        if (attempt >= 10) throw new Error(`putIfAbsent ${key}: the key keeps appearing and vanishing`);
      }
    } finally {
      await fs.unlink(temp.path); // the object, if linked, keeps the inode
    }
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

  /** A batch of content-addressed writes made durable together at its commit (./filesystem-batch.ts). */
  openBatch(): BlobBatch {
    return new FilesystemBlobBatch(this.layout, this.durable);
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
      throw asInvalidKey(key, error) ?? error;
    }
    await writeMeta(this.layout.metaPath(key), { key, etag: temp.etag, stamp: temp.stamp }, this.layout.tmpDir);
  }

  /** `linkCreatingParent`, with key errors as `InvalidKeyError` (and our record removed then). */
  private async link(key: string, from: string, file: string, meta: string): Promise<boolean> {
    try {
      return await linkCreatingParent(from, file);
    } catch (error) {
      const invalid = asInvalidKey(key, error);
      if (invalid) await fs.rm(meta, { force: true }); // no object can exist at this key
      throw invalid ?? error;
    }
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

/** The `InvalidKeyError` a rename or link into place failed with, if the key clashes with a folder. */
function asInvalidKey(key: string, error: unknown): InvalidKeyError | undefined {
  const code = errorCode(error);
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new InvalidKeyError(key, 'a prefix of it is already an object (a filesystem store cannot hold a and a/b)');
  }
  if (code === 'EISDIR' || code === 'ENOTEMPTY') {
    return new InvalidKeyError(key, 'other objects live under it (a filesystem store cannot hold a and a/b)');
  }
  return undefined;
}

function toInfo(key: string, etag: string, stat: BigIntStats): ObjectInfo {
  return { key, size: Number(stat.size), etag, lastModified: stat.mtime };
}
