/**
 * `snapshotDataset`: the plain function behind the `snapshotDataset` activity.
 *
 * 1. Scan the source (stat only) and look every file up in the stat cache.
 * 2. Warm path: if every digest came from the cache and the resulting id is the dataset's
 *    `latest`, stop there: no hashing, no write, no per-file store request (only the ref is read,
 *    and the manifest it names fetched during the scan in case it is needed).
 * 3. Otherwise hash what the cache does not know and store missing bodies (./snapshot-files.ts;
 *    bodies the parent manifest lists are known stored and never asked about),
 *    then, if no manifest has this id yet, profile the CSV and Parquet files (a malformed one fails here,
 *    before anything that names the snapshot is written), write the profile, the manifest
 *    (`putIfAbsent`: immutable, its `createdAt` never changes) and finally move `latest`.
 *
 * Order matters for "nothing half-written": blobs (harmless, content-addressed) → profile →
 * manifest → ref. A crash between two steps leaves objects nobody refers to yet; a retry redoes
 * the rest with nothing re-uploaded.
 */
import type { BlobStore } from '../storage/types';
import { CanonicalDigest } from './canonical';
import { DataError } from '../../common/failures';
import { DigestSet } from './digest-set';
import { isDigest, validateDatasetName } from './keys';
import { ManifestWriter } from './manifest-chunks';
import { moveLatest, readLatest, type LatestRef } from './manifest-store';
import { isTabularPath, type TableFile } from './profile';
import { ProgressReporter, type ProgressListener } from './progress';
import { throwIfAborted } from './pool';
import { storeFiles, type StoredFiles } from './snapshot-files';
import { fetchManifest, loadParent, resultOf, writeSnapshot } from './snapshot-write';
import { openSource } from './source';
import { StatCache } from './stat-cache';
import type { ExpectedContent, SourceEntry } from './source-types';
import type { ManifestEntry, SnapshotInput, SnapshotResult, SnapshotResumeState } from './types';

/** Digests carried in the resume state at most (about 70 bytes each: a heartbeat stays well under 256 KB). */
export const MAX_RESUME_DIGESTS = 2000;

export interface SnapshotOptions {
  /** Folder for the stat cache; without it every file is hashed. */
  cacheDir?: string;
  /** Opens a store URI source (`s3://…`). */
  openStore?: (uri: string) => BlobStore;
  /** Folders a local source must lie in (./source-roots.ts); absent: any folder. */
  sourceRoots?: readonly string[];
  /** Progress and resume state, at most every `progressIntervalMs` and at each phase change; may throw to abort. */
  onProgress?: ProgressListener;
  /** @default 1000 */
  progressIntervalMs?: number;
  /** What an earlier, interrupted attempt reported. */
  resume?: SnapshotResumeState;
  signal?: AbortSignal;
  /** @default () => new Date() */
  now?: () => Date;
  /** Most files one snapshot may hold (MLOPS_MAX_SNAPSHOT_FILES, ./limits.ts). @default DEFAULT_MAX_SNAPSHOT_FILES */
  maxFiles?: number;
  /** Files per manifest chunk (./manifest-chunks.ts); tests set it small. @default MANIFEST_CHUNK_ENTRIES */
  manifestChunkEntries?: number;
}

/**
 * The id of the files as the stat cache knows them (entries are in path order), or undefined when
 * some file is not in it: an unchanged re-snapshot is this one pass, with nothing held per file.
 */
function cachedId(entries: readonly SourceEntry[], cache: StatCache, stampIsDigest = false): string | undefined {
  const digest = new CanonicalDigest();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const sha256 = stampIsDigest ? entry.stamp : cache.lookup(entry.path, entry.stamp, i);
    if (sha256 === undefined) return undefined;
    digest.add(entry.path, sha256, entry.size);
  }
  return digest.hex();
}

/** Snapshots a folder or store prefix into `store` as dataset `input.dataset`; see the module comment. */
export async function snapshotDataset(
  store: BlobStore,
  input: SnapshotInput,
  options: SnapshotOptions = {},
): Promise<SnapshotResult> {
  const dataset = validateDatasetName(input.dataset);
  if (input.description !== undefined && typeof input.description !== 'string') {
    throw new DataError('InvalidInput', 'description: must be a string');
  }
  const signal = options.signal;
  const resumed = (options.resume?.storedDigests ?? []).filter(isDigest).slice(0, MAX_RESUME_DIGESTS);
  const stored: string[] = [...resumed];
  const progress = new ProgressReporter(options.onProgress, options.progressIntervalMs ?? 1000, () => ({
    storedDigests: stored.slice(0, MAX_RESUME_DIGESTS),
  }));
  const source = await openSource(input.source, options.openStore, store, options.sourceRoots);
  try {
    progress.report(true);
    // While the folder is scanned: read the ref, then fetch (not parse) the manifest it names.
    const latestRead = readLatest(store, dataset);
    const parentBytes = latestRead.then((latest) =>
      latest.ref ? fetchManifest(store, dataset, latest.ref.id) : undefined,
    );
    void parentBytes.catch(() => undefined); // awaited below; this only keeps a scan error from leaving it unhandled
    const entries = await source.scan({ maxFiles: options.maxFiles });
    if (entries.length === 0) {
      throw new DataError('DatasetSourceInvalid', `source ${source.id} has no files: there is nothing to snapshot`);
    }
    const totals = {
      fileCount: entries.length,
      totalBytes: entries.reduce((sum, entry) => sum + entry.size, 0),
    };
    progress.totals(totals.fileCount, totals.totalBytes);
    const cache = await StatCache.load(source.stampIsDigest ? undefined : options.cacheDir, dataset, source.id);
    const latest = await latestRead;

    if (latest.ref && cachedId(entries, cache, source.stampIsDigest) === latest.ref.id) {
      return resultOf(dataset, latest.ref, totals, {
        created: false,
        uploadedFiles: 0,
        uploadedBytes: 0,
        cachedDigests: entries.length,
      });
    }

    try {
      const parent = latest.ref ? await loadParent(store, dataset, latest.ref.id, await parentBytes) : undefined;
      const known = parent?.digests ?? new DigestSet();
      for (const digest of resumed) known.add(digest);
      const onStored = (digest: string) => void (stored.length < MAX_RESUME_DIGESTS && stored.push(digest));
      const manifest = new ManifestWriter(store, dataset, options.manifestChunkEntries);
      const tables: TableFile[] = [];
      const onFiles = async (files: ManifestEntry[], contents: ExpectedContent[], start: number) => {
        files.forEach((file, i) => {
          if (isTabularPath(file.path)) tables.push({ entry: entries[start + i]!, file, expected: contents[i]! });
        });
        await manifest.add(files);
      };
      let stats: StoredFiles;
      try {
        stats = await storeFiles({
          store,
          dataset,
          source,
          entries,
          cache,
          known,
          onStored,
          onFiles,
          progress,
          signal,
        });
      } catch (error) {
        progress.reportQuietly(); // the freshest resume point for the retry
        throw error;
      }
      const id = manifest.id();
      throwIfAborted(signal);
      const written = await writeSnapshot(store, {
        dataset,
        id,
        source,
        manifest,
        tables,
        parent,
        description: input.description,
        createdAt: (options.now?.() ?? new Date()).toISOString(),
        progress,
      });
      const ref: LatestRef = {
        id,
        parent: written.manifest.parent,
        profileKey: written.manifest.profileKey,
        updatedAt: new Date().toISOString(),
      };
      cache.retainSeen();
      await Promise.all([moveLatest(store, dataset, ref), cache.compact()]);
      return resultOf(dataset, ref, totals, { created: written.created, ...stats });
    } finally {
      await cache.flush(); // also after a failure: a retry reuses what was hashed
    }
  } finally {
    await source.close();
  }
}
