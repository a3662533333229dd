/**
 * File-level building blocks of the filesystem store: streaming a body into a temp file while
 * hashing it, hashing an existing file, and the small metadata records kept beside bodies.
 *
 * A record binds an etag to one exact body file through its stamp (inode, size, mtime): every
 * write renames (or links) a fresh temp file into place, keeping its inode and mtime, so a record
 * whose stamp differs from the current file describes another version (a write is mid-commit, or
 * a crash came between the two renames).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isReplayable, toBuffer } from './body';
import type { Body } from './types';

/** A fully written, flushed temp file, ready to be renamed into place. */
export interface TempFile {
  path: string;
  etag: string;
  size: number;
  stamp: string;
}

/** What the metadata file of a key records. */
export interface MetaRecord {
  key: string;
  etag: string;
  stamp: string;
}

/** The identity of one body file version: inode, size and mtime survive the rename into place. */
export function stampOf(stat: BigIntStats): string {
  return `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
}

/** `stat` of a regular file, or `undefined` when there is none at `file` (absent, or a folder). */
export async function statFile(file: string): Promise<BigIntStats | undefined> {
  try {
    const stat = await fs.stat(file, { bigint: true });
    return stat.isFile() ? stat : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Streams `body` into a new file in `dir`, computing its sha256 on the way; fsyncs when `durable`. */
export async function writeTemp(body: Body, dir: string, durable: boolean): Promise<TempFile> {
  const file = path.join(dir, `${randomUUID()}.tmp`);
  const hash = createHash('sha256');
  const handle = await openCreatingParent(file);
  let written = false;
  try {
    if (isReplayable(body)) {
      // Bytes in hand: one write, no stream machinery (the common case for small objects).
      const bytes = toBuffer(body);
      hash.update(bytes);
      await writeFully(handle, bytes);
    } else {
      // Written by hand rather than piped: a FileHandle stream with autoClose: false keeps the
      // handle referenced, and FileHandle.close() would then wait forever.
      for await (const chunk of body) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        hash.update(bytes);
        await writeFully(handle, bytes);
      }
    }
    if (durable) await handle.sync();
    const stat = await handle.stat({ bigint: true });
    written = true;
    return { path: file, etag: hash.digest('hex'), size: Number(stat.size), stamp: stampOf(stat) };
  } finally {
    await handle.close();
    if (!written) await fs.rm(file, { force: true });
  }
}

/**
 * Writes `body` into a new file (its folder must exist) without hashing or fsyncing it: a write
 * batch's staging file, made durable later together with the others. Returns its size and stamp.
 */
export async function writeStaged(body: Body, file: string): Promise<{ size: number; stamp: string }> {
  const handle = await fs.open(file, 'wx');
  let written = false;
  try {
    if (isReplayable(body)) await writeFully(handle, toBuffer(body));
    else {
      for await (const chunk of body) {
        await writeFully(handle, typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      }
    }
    const stat = await handle.stat({ bigint: true });
    written = true;
    return { size: Number(stat.size), stamp: stampOf(stat) };
  } finally {
    await handle.close();
    if (!written) await fs.rm(file, { force: true });
  }
}

/** Creates `file` exclusively, creating its folder only when it is missing (usually it is not). */
async function openCreatingParent(file: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'wx');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    await fs.mkdir(path.dirname(file), { recursive: true });
    return fs.open(file, 'wx');
  }
}

async function writeFully(handle: fs.FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  }
}

/** Removes temp files untouched for `maxAgeMs` (a crashed writer's); live writes keep touching theirs. */
export async function sweepStaleTemps(dir: string, maxAgeMs: number): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const cutoff = Date.now() - maxAgeMs;
  await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff) await fs.rm(file, { force: true }).catch(() => undefined);
    }),
  );
}

/** The sha256 of a file and the stat of the exact version hashed; `undefined` when absent. */
export async function hashFile(file: string): Promise<{ etag: string; stat: BigIntStats } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) return undefined;
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { etag: hash.digest('hex'), stat };
  } finally {
    await handle.close();
  }
}

/** Reads a metadata record; `undefined` when absent or unreadable (it is then rebuilt). */
export async function readMeta(file: string): Promise<MetaRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<MetaRecord>;
    if (typeof value.key === 'string' && typeof value.etag === 'string' && typeof value.stamp === 'string') {
      return { key: value.key, etag: value.etag, stamp: value.stamp };
    }
  } catch {
    // torn or foreign content: treated as missing
  }
  return undefined;
}

/** Writes a metadata record atomically (temp file + rename); no fsync: a lost record is rebuilt. */
export async function writeMeta(file: string, record: MetaRecord, tmpDir: string): Promise<void> {
  const tmp = path.join(tmpDir, `${randomUUID()}.meta.tmp`);
  try {
    await fs.writeFile(tmp, JSON.stringify(record), { flag: 'wx' });
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    await fs.mkdir(tmpDir, { recursive: true });
    await fs.writeFile(tmp, JSON.stringify(record), { flag: 'wx' });
  }
  try {
    await renameCreatingParent(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Writes the record of an object that is not yet visible, straight into place when no record is
 * there (one file creation instead of a temp file and a rename: creating files is the costly
 * part of small writes). Nobody reads the record before the object appears, so it need not
 * appear atomically; when a record is already there (left by a crash, or by a concurrent
 * writer) it is replaced atomically instead.
 */
export async function writeMetaBeforeObject(file: string, record: MetaRecord, tmpDir: string): Promise<void> {
  try {
    await withParent(file, () => fs.writeFile(file, JSON.stringify(record), { flag: 'wx' }));
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    await writeMeta(file, record, tmpDir);
  }
}

/**
 * Renames `from` to `to`, creating `to`'s folder when missing; retries when a concurrent prune
 * removes it. The rename is tried first: the folder usually exists, and a failed rename is cheap.
 */
export async function renameCreatingParent(from: string, to: string): Promise<void> {
  await withParent(to, () => fs.rename(from, to));
}

/**
 * Links `from` at `to` unless something is there already: the create-only commit. `link` fails
 * atomically with EEXIST, so of several processes linking the same `to` exactly one succeeds.
 * Returns false when a file is (or just was) at `to`; a folder there throws EISDIR, like a rename.
 */
export async function linkCreatingParent(from: string, to: string): Promise<boolean> {
  try {
    await withParent(to, () => fs.link(from, to));
    return true;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    // ENOTDIR here: the EEXIST came from a prefix of `to` being a file; it throws as such.
    const existing = await fs.lstat(to).catch((lstatError: unknown) => {
      if (errorCode(lstatError) === 'ENOENT') return undefined; // deleted since: the caller retries
      throw lstatError;
    });
    if (existing?.isDirectory()) throw Object.assign(new Error(`${to} is a folder`), { code: 'EISDIR' });
    return false;
  }
}

/** Runs `op` (which creates an entry at `to`), creating `to`'s folder and retrying on ENOENT. */
async function withParent(to: string, op: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await op();
      return;
    } catch (error) {
      // The folder is missing, or a delete of its last other object pruned it after our mkdir.
      if (errorCode(error) !== 'ENOENT' || attempt >= 10) throw error;
    }
    await fs.mkdir(path.dirname(to), { recursive: true });
  }
}

/** Removes now-empty folders from `dir` up to (not including) `stopAt`; best effort. */
export async function pruneEmptyParents(dir: string, stopAt: string): Promise<void> {
  let current = dir;
  while (current.startsWith(stopAt + path.sep)) {
    try {
      await fs.rmdir(current);
    } catch {
      return; // not empty (ENOTEMPTY), or already gone, or in use
    }
    current = path.dirname(current);
  }
}

/** Whether an fs error means "nothing there" (including a file where a folder was expected). */
export function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The `code` of a Node system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
