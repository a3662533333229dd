/**
 * Data that travels: a folder on the CLI's machine goes into the store before a run or snapshot
 * starts, so a worker on any host records it without reading this machine's disk.
 *
 * `uploadDataset` hashes the folder here (the snapshot's own local source: hashing threads, the stat
 * cache), stores only the blobs the dataset lacks under the keys a snapshot uses (digests of the
 * dataset's latest snapshot are known stored; any other is asked about with HEAD first), several at
 * once, and then writes the upload manifest (activities/data/upload-manifest.ts). It is resumable
 * because it is content-addressed: an interrupted upload run again hashes nothing the stat cache
 * knows and sends only the blobs still missing. The source it returns, `upload://<hex>`, is what
 * the `datasetSnapshot` workflow and a pipeline run are given.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../common/errors';
import { formatBytes } from '../common/format';
import type { PipelineSpec } from '../common/schemas/spec';
import { validateDatasetName } from '../activities/data/keys';
import { LocalSource } from '../activities/data/local-source';
import { DigestSet } from '../activities/data/digest-set';
import { openManifest, readLatest } from '../activities/data/manifest-store';
import { throwIfAborted } from '../activities/data/pool';
import { ProgressReporter } from '../activities/data/progress';
import { storeFiles } from '../activities/data/snapshot-files';
import { StatCache } from '../activities/data/stat-cache';
import type { ManifestEntry, SnapshotProgress } from '../activities/data/types';
import { writeUploadManifest } from '../activities/data/upload-manifest';
import type { BlobStore } from '../activities/storage/types';
import type { LoadedPipelineSpec } from './pipeline-spec';

/** Blobs uploaded at once by default. */
export const DEFAULT_UPLOAD_CONCURRENCY = 8;

export interface UploadDatasetOptions {
  /** The dataset whose blobs receive the files (the snapshot's dataset). */
  dataset: string;
  /** Files hashed and uploaded at once. @default DEFAULT_UPLOAD_CONCURRENCY */
  concurrency?: number;
  /** Folder for the stat cache; without it every file is hashed. */
  cacheDir?: string;
  /** More files fail the scan with `SnapshotTooLarge` (MLOPS_MAX_SNAPSHOT_FILES). @default 2,000,000 */
  maxFiles?: number;
  /** Progress, at most once a second and at each phase change (`hashing`, `uploading`). */
  onProgress?: (progress: SnapshotProgress) => void;
  signal?: AbortSignal;
  /** The field messages about the folder name. @default 'source' */
  field?: string;
}

/** What an upload stored. */
export interface DatasetUpload {
  /** `upload://<hex>`: the source to snapshot. */
  source: string;
  /** The folder read, its symlinks resolved. */
  folder: string;
  files: number;
  bytes: number;
  /** Blobs this call stored (the rest were in the store already). */
  uploadedFiles: number;
  uploadedBytes: number;
}

/** Hashes `folder` here and uploads what the store lacks; see the module comment. A missing folder or a file: `UserError` (exit 2). */
export async function uploadDataset(
  store: BlobStore,
  folder: string,
  options: UploadDatasetOptions,
): Promise<DatasetUpload> {
  const field = options.field ?? 'source';
  const dataset = validateDatasetName(options.dataset);
  const absolute = checkDatasetFolder(folder, field);
  const { signal } = options;
  const source = await LocalSource.open(absolute);
  try {
    const entries = await source.scan({ maxFiles: options.maxFiles });
    if (entries.length === 0) {
      throw new UserError(`${field}: folder ${absolute} has no files: there is nothing to snapshot`, 2);
    }
    const progress = new ProgressReporter(
      options.onProgress && ((beat) => options.onProgress?.(withoutResume(beat))),
      1000,
      () => ({ storedDigests: [] }),
    );
    const bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
    progress.totals(entries.length, bytes);
    const cache = await StatCache.load(options.cacheDir, dataset, source.id);
    try {
      const known = await latestDigests(store, dataset);
      const files: ManifestEntry[] = [];
      const stats = await storeFiles({
        store,
        dataset,
        source,
        entries,
        cache,
        known,
        onStored: () => undefined,
        onFiles: (batch) => void files.push(...batch),
        progress,
        signal,
        concurrency: options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      });
      cache.retainSeen();
      throwIfAborted(signal);
      progress.phase('writing');
      const uploaded = await writeUploadManifest(store, {
        version: 1,
        dataset,
        files,
        origin: { host: os.hostname(), folder: source.id },
        createdAt: new Date().toISOString(),
      });
      await cache.compact();
      return {
        source: uploaded,
        folder: source.id,
        files: entries.length,
        bytes,
        uploadedFiles: stats.uploadedFiles,
        uploadedBytes: stats.uploadedBytes,
      };
    } finally {
      await cache.flush(); // also after a failure: a second attempt reuses what was hashed
    }
  } finally {
    await source.close();
  }
}

/** A spec whose local dataset source was uploaded, and the upload (undefined when there was nothing local to upload). */
export interface SpecDatasetUpload {
  spec: PipelineSpec;
  upload?: DatasetUpload;
}

/**
 * Uploads a loaded spec's local `dataset.source` (an absolute folder or `file://`) and returns the
 * spec with `dataset.source` = `upload://<hex>`; a spec without one, or with a store URI, is
 * returned as it is.
 */
export async function uploadSpecDataset(
  store: BlobStore,
  spec: PipelineSpec,
  options: Omit<UploadDatasetOptions, 'dataset' | 'field'> = {},
): Promise<SpecDatasetUpload> {
  const folder = spec.dataset.workerPath ? undefined : localFolder(spec.dataset.source);
  if (folder === undefined) return { spec };
  const upload = await uploadDataset(store, folder, {
    ...options,
    dataset: spec.dataset.name,
    field: 'dataset.source',
  });
  return { spec: { ...spec, dataset: { ...spec.dataset, source: upload.source } }, upload };
}

/** One line for the user: what was uploaded from where. */
export function describeUpload(upload: DatasetUpload): string {
  const sent =
    upload.uploadedFiles === 0
      ? 'nothing to upload'
      : `uploaded ${upload.uploadedFiles} (${formatBytes(upload.uploadedBytes)})`;
  return `${upload.folder}: ${upload.files} files (${formatBytes(upload.bytes)}), ${sent} → ${upload.source}`;
}

/**
 * Refuses (`UserError`, exit 2) a spec with a `schedule` whose `dataset.source` is a folder on this
 * machine: call it where a schedule is created from a spec.
 */
export function refuseLocalScheduledSource(loaded: LoadedPipelineSpec): void {
  const { spec } = loaded;
  if (!spec.schedule || spec.dataset.workerPath) return;
  const folder = localFolder(spec.dataset.source);
  if (folder === undefined) return;
  throw new UserError(
    `${loaded.file}: dataset.source: ${folder} is a folder on this machine, and this pipeline has a schedule. ` +
      `A scheduled run starts on a worker at its cron time (${spec.schedule.cron}), where this folder cannot be read; ` +
      `uploading it now would freeze the data, so every scheduled run would retrain on the same snapshot. ` +
      `Set dataset.source to an s3:// prefix the workers can read (e.g. s3://<bucket>/datasets/${spec.dataset.name}), ` +
      `or, when the workers' hosts have this folder, set dataset.workerPath: true (read there, within their MLOPS_SOURCE_ROOTS), ` +
      `or remove the schedule section and run \`mlops run ${spec.name}\` after updating the folder.`,
    2,
  );
}

/**
 * The local folder a source names (a path or `file://`), absolute, or undefined for a store URI or
 * no source; a malformed `file://` URL is bad input (exit 2) naming `field`.
 */
export function localFolder(source: string | undefined, field = 'dataset.source'): string | undefined {
  if (source === undefined) return undefined;
  if (/^file:\/\//i.test(source)) {
    try {
      return fileURLToPath(source);
    } catch {
      throw new UserError(`${field}: ${source} is not a file URL of an absolute path (e.g. file:///data/churn)`, 2);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return undefined;
  return path.resolve(source);
}

/** The folder, absolute; `UserError` (exit 2) naming `field` when it is missing or not a folder. */
export function checkDatasetFolder(folder: string, field = 'source'): string {
  const absolute = path.resolve(folder);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    throw new UserError(`${field}: folder ${absolute} does not exist`, 2);
  }
  if (!stat.isDirectory()) throw new UserError(`${field}: ${absolute} is not a folder`, 2);
  return absolute;
}

/** Digests of the dataset's latest snapshot: stored already, so never asked about. */
async function latestDigests(store: BlobStore, dataset: string): Promise<DigestSet> {
  const known = new DigestSet();
  const { ref } = await readLatest(store, dataset);
  if (!ref) return known;
  try {
    const manifest = await openManifest(store, dataset, ref.id);
    for await (const batch of manifest.batches()) for (const file of batch) known.add(file.sha256);
  } catch {
    // an unreadable latest snapshot only means every blob is asked about
  }
  return known;
}

function withoutResume(beat: SnapshotProgress & { resume?: unknown }): SnapshotProgress {
  const { resume: _resume, ...progress } = beat;
  return progress;
}
