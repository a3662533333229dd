/**
 * Making many files durable at once, for the filesystem store's write batches (./filesystem-batch.ts).
 *
 * One fsync per file costs a journal commit and a disk cache flush each: thousands of small files
 * take seconds even when their bytes fit in one second of disk bandwidth. Linux's `syncfs(2)`
 * writes every dirty page and inode of one filesystem and commits the journal once; Node's
 * `node:fs` does not expose it, so it is reached through coreutils' `sync --file-system <path>`
 * (one short process; present wherever coreutils is, e.g. the worker image). Where that fails
 * (no coreutils, another OS), and for a handful of files, it is `fdatasync` of every file,
 * several at once, and `fsync` of every folder given.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { errorCode } from './filesystem-files';

/**
 * Below this many files and folders, each is fsynced instead: `syncfs` also waits for whatever
 * else is dirty on the filesystem (other processes' writes), which a few fsyncs do not.
 */
const SYNCFS_MIN_TARGETS = 64;
/** fsyncs in flight at once in the fallback (the libuv pool has 4 threads; leave some for other I/O). */
const FALLBACK_CONCURRENCY = 3;

/** Whether `sync --file-system` worked on this host; undefined until tried. */
let syncfsWorks: boolean | undefined;

/** How long one `syncfs` may take before the fallback is used instead. */
const SYNCFS_TIMEOUT_MS = 10 * 60_000;

/**
 * Flushes the whole filesystem holding `anyPath` with `syncfs`; false when that is not available
 * here or it failed (the caller then syncs file by file). Never throws.
 */
export async function syncFileSystem(anyPath: string): Promise<boolean> {
  if (syncfsWorks === false) return false;
  const ok = await new Promise<boolean>((resolve) => {
    execFile('sync', ['--file-system', anyPath], { timeout: SYNCFS_TIMEOUT_MS }, (error) => resolve(error === null));
  });
  syncfsWorks ??= ok;
  return ok;
}

/** Makes `files` (their data) and `folders` (their entries) durable: one `syncfs`, or an fsync of each. */
export async function syncAll(anyPath: string, files: readonly string[], folders: readonly string[]): Promise<void> {
  if (files.length + folders.length >= SYNCFS_MIN_TARGETS && (await syncFileSystem(anyPath))) return;
  await forEachBounded(files, (file) => syncOne(file, 'r+', true));
  await forEachBounded(folders, (folder) => syncOne(folder, 'r', false));
}

async function syncOne(target: string, flags: string, dataOnly: boolean): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(target, flags);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return; // renamed away or pruned since: nothing of ours to flush
    throw error;
  }
  try {
    await (dataOnly ? handle.datasync() : handle.sync());
  } catch (error) {
    // Some filesystems refuse fsync on a folder; its entries are then as durable as they get.
    if (dataOnly || (errorCode(error) !== 'EINVAL' && errorCode(error) !== 'EISDIR')) throw error;
  } finally {
    await handle.close();
  }
}

async function forEachBounded(items: readonly string[], fn: (item: string) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(FALLBACK_CONCURRENCY, items.length) }, lane));
}
