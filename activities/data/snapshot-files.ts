/**
 * The per-file part of a snapshot: for every scanned file, a digest (from the stat cache, or by
 * hashing), then make sure its body is in the blob store. A body is known to be stored, with no
 * store request, when an earlier snapshot's manifest lists its digest or a previous attempt
 * reported it (resume state); otherwise it goes to the snapshot's `BlobWriter` (./blobs.ts),
 * which stores it only if absent. Bodies shared by several files are handled once. Up to
 * `FILE_CONCURRENCY` files (or `concurrency`) are in flight.
 *
 * The durability barrier is here: `storeFiles` resolves only once the writer has committed, so
 * every body the returned manifest entries name is durable before the caller writes the manifest
 * and moves the ref. A body counts as stored (`onStored`, the resume state) only once durable.
 * When a file fails, what was written before is still committed, so the retry does not send it again.
 *
 * Memory stays flat in the number of files: entries go through in windows of `WINDOW` (in path
 * order), each window's manifest entries are handed to `onFiles` and dropped, and a batching
 * writer is committed every `COMMIT_EVERY` bodies, so neither the writer's staging list nor the
 * list of bodies not yet durable grows with the snapshot.
 */
import { setMaxListeners } from 'node:events';
import type { BlobStore } from '../storage/types';
import { openBlobWriter } from './blobs';
import { forEachLimit } from './pool';
import type { ProgressReporter } from './progress';
import type { DatasetSource, ExpectedContent, SourceEntry } from './source-types';
import type { StatCache } from './stat-cache';
import type { DigestSet } from './digest-set';
import type { ManifestEntry } from './types';

/** Files read, hashed and uploaded at once (bounds memory: small files are held in memory once read). */
const FILE_CONCURRENCY = 16;
/** Files up to this size are uploaded from the bytes read while hashing. */
const KEEP_BYTES = 1 << 20;
/** Below this many bytes to hash, hashing stays on the main thread (starting threads costs more). */
const INLINE_HASH_BYTES = 64 << 20;
/** How often the stat cache is written during a long snapshot. */
const CACHE_FLUSH_MS = 5000;
/** Entries handled per window: its manifest entries are handed on before the next window starts. */
const WINDOW = 4096;
/** Bodies a batching writer stages before it is committed (at a window's end). */
const COMMIT_EVERY = 50_000;

export interface StoreFilesInput {
  store: BlobStore;
  dataset: string;
  source: DatasetSource;
  /** Sorted by path. */
  entries: readonly SourceEntry[];
  /** Where digests of unchanged files are looked up and new ones recorded (unused when stamps are digests). */
  cache: StatCache;
  /** Digests known to be stored; grows as bodies are found or uploaded. */
  known: DigestSet;
  /** Called with each digest this run finds or puts in the store (for the resume state). */
  onStored: (digest: string) => void;
  /** Receives the manifest entries and expected contents of `entries[start…]`, window by window in order. */
  onFiles: (files: ManifestEntry[], contents: ExpectedContent[], start: number) => Promise<void> | void;
  progress: ProgressReporter;
  signal?: AbortSignal;
  /** Files in flight at once. @default FILE_CONCURRENCY */
  concurrency?: number;
}

export interface StoredFiles {
  uploadedFiles: number;
  uploadedBytes: number;
  cachedDigests: number;
}

/** Digests and stores every entry, handing the manifest entries on in the entries' order. */
export async function storeFiles(input: StoreFilesInput): Promise<StoredFiles> {
  const { store, dataset, source, entries, cache, known, progress, signal } = input;
  const concurrency = Math.max(1, input.concurrency ?? FILE_CONCURRENCY);
  // Each streamed upload listens to the signal (to stop on cancellation): up to one per file in flight.
  if (signal) setMaxListeners(concurrency + 10, signal);
  const cachedDigest = (entry: SourceEntry, index: number) =>
    source.stampIsDigest ? entry.stamp : cache.lookup(entry.path, entry.stamp, index);
  const inFlight = new Map<string, Promise<void>>();
  const result = { uploadedFiles: 0, uploadedBytes: 0, cachedDigests: 0 };
  const plan = hashingPlan(entries, cachedDigest);
  let toHash = plan.toHash;
  const hashOptions = { keepBytes: KEEP_BYTES, inline: plan.bytesToHash < INLINE_HASH_BYTES };
  progress.phase(toHash > 0 ? 'hashing' : 'uploading');

  const writer = openBlobWriter(store, dataset);
  /** Digests put but not durable until the writer commits. */
  const uncommitted: string[] = [];
  const commit = async () => {
    await writer.commit();
    for (const digest of uncommitted.splice(0)) input.onStored(digest);
  };

  const ensureStored = async (entry: SourceEntry, expected: ExpectedContent, bytes?: Buffer) => {
    const { digest, size } = expected;
    if (known.has(digest)) return;
    const pending = inFlight.get(digest);
    if (pending) return pending;
    const work = (async () => {
      if (await writer.put(digest, bytes ?? (() => source.read(entry, expected)), signal)) {
        result.uploadedFiles++;
        result.uploadedBytes += size;
      }
      // Remembered only where asking the store again would cost a request (a million digests: about 70 MB).
      if (!writer.checksLocally) known.add(digest);
      if (writer.durableOnPut) input.onStored(digest);
      else uncommitted.push(digest);
    })();
    inFlight.set(digest, work);
    try {
      await work;
    } finally {
      inFlight.delete(digest);
    }
  };

  let lastFlush = Date.now();
  const storeOne = async (index: number): Promise<[ManifestEntry, ExpectedContent]> => {
    const entry = entries[index]!;
    const digest = cachedDigest(entry, index);
    let expected: ExpectedContent;
    let bytes: Buffer | undefined;
    if (digest === undefined) {
      ({ bytes, ...expected } = await source.hash(entry, hashOptions));
      if (expected.stable) cache.set(entry.path, expected.stamp, expected.digest, index);
      if (--toHash === 0) progress.phase('uploading');
    } else {
      // Only stable digests are cached, and the stamp has not moved since.
      expected = { digest, size: entry.size, stamp: entry.stamp, stable: true };
      result.cachedDigests++;
    }
    await ensureStored(entry, expected, bytes);
    progress.fileDone(expected.size);
    if (Date.now() - lastFlush > CACHE_FLUSH_MS) {
      lastFlush = Date.now();
      await cache.flush();
    }
    return [{ path: entry.path, sha256: expected.digest, size: expected.size }, expected];
  };

  try {
    for (let start = 0; start < entries.length; start += WINDOW) {
      const count = Math.min(WINDOW, entries.length - start);
      const files = new Array<ManifestEntry>(count);
      const contents = new Array<ExpectedContent>(count);
      await forEachLimit(
        count,
        concurrency,
        async (i) => void ([files[i], contents[i]] = await storeOne(start + i)),
        signal,
      );
      await input.onFiles(files, contents, start);
      if (uncommitted.length >= COMMIT_EVERY) await commit();
    }
  } catch (error) {
    // Keep what was written (a retry then resumes past it); a failing commit drops it instead.
    await commit().catch(() => writer.abort());
    throw error;
  }
  await commit();
  return result;
}

/** How many files, and bytes, the cache does not know (what decides where hashing runs). */
function hashingPlan(
  entries: readonly SourceEntry[],
  cachedDigest: (entry: SourceEntry, index: number) => string | undefined,
): { toHash: number; bytesToHash: number } {
  let toHash = 0;
  let bytesToHash = 0;
  entries.forEach((entry, index) => {
    if (cachedDigest(entry, index) !== undefined) return;
    toHash++;
    bytesToHash += entry.size;
  });
  return { toHash, bytesToHash };
}
