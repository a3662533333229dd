/** The steps of a snapshot after its files are stored: profile, manifest, and the pieces of its result. */
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { datasetKeys } from './keys';
import { DigestSet } from './digest-set';
import type { ManifestWriter } from './manifest-chunks';
import { openManifest, parseManifest, type LatestRef } from './manifest-store';
import { profileSnapshot, type TableFile } from './profile';
import type { ProgressReporter } from './progress';
import { profileOf } from './read';
import type { DatasetSource } from './source-types';
import type { ManifestHeader, SnapshotProfile, SnapshotResult } from './types';

/** The dataset's latest snapshot when a new one starts: its digests are known stored, its profiles reusable. */
export interface ParentSnapshot {
  header: ManifestHeader;
  profile: SnapshotProfile | undefined;
  /** Every body digest the parent lists (stored, so never asked about). */
  digests: DigestSet;
  /** Path → digest of the parent's profiled files (a profile is reused for a file whose digest is unchanged). */
  profiled: Map<string, string>;
}

/** The raw bytes of a manifest, or undefined when it cannot be read (fetched ahead, parsed only if needed). */
export async function fetchManifest(store: BlobStore, dataset: string, id: string): Promise<Buffer | undefined> {
  return store.getBytes(datasetKeys.manifest(dataset, id)).catch(() => undefined);
}

/**
 * Reads the parent's manifest (from `bytes` if fetched already), one batch at a time, and its
 * profile; a parent that is gone or unreadable is no parent.
 */
export async function loadParent(
  store: BlobStore,
  dataset: string,
  id: string,
  bytes?: Buffer,
): Promise<ParentSnapshot | undefined> {
  try {
    const opened = bytes
      ? parseManifest(store, bytes, datasetKeys.manifest(dataset, id), id)
      : await openManifest(store, dataset, id);
    const profile = await profileOf(store, opened.header).catch(() => undefined);
    const profiledPaths = new Set((profile?.files ?? []).map((file) => file.path));
    const digests = new DigestSet();
    const profiled = new Map<string, string>();
    for await (const batch of opened.batches()) {
      for (const entry of batch) {
        digests.add(entry.sha256);
        if (profiledPaths.has(entry.path)) profiled.set(entry.path, entry.sha256);
      }
    }
    return { header: opened.header, profile, digests, profiled };
  } catch (error) {
    if (error instanceof DataError) return undefined;
    throw error;
  }
}

export interface WriteSnapshotInput {
  dataset: string;
  id: string;
  source: DatasetSource;
  /** Holds the snapshot's files (all added, its chunks written): writes the rest at the end. */
  manifest: ManifestWriter;
  /** Its CSV and Parquet files, to profile. */
  tables: readonly TableFile[];
  parent: ParentSnapshot | undefined;
  description: string | undefined;
  createdAt: string;
  progress: ProgressReporter;
}

/** Writes profile and manifest unless a manifest with this id exists; `created` when this call wrote it. */
export async function writeSnapshot(
  store: BlobStore,
  input: WriteSnapshotInput,
): Promise<{ manifest: ManifestHeader; created: boolean }> {
  const { dataset, id } = input;
  const key = datasetKeys.manifest(dataset, id);
  if (await store.head(key)) return { manifest: (await openManifest(store, dataset, id)).header, created: false };

  input.progress.phase('profiling');
  const profile = await profileSnapshot(input);
  input.progress.phase('writing');
  const profileKey = profile ? datasetKeys.profile(dataset, id) : undefined;
  if (profile && profileKey) await store.putIfAbsent(profileKey, JSON.stringify(profile), json);
  const header: ManifestHeader = {
    id,
    dataset,
    createdAt: input.createdAt,
    parent: input.parent?.header.id ?? null,
    ...(input.description === undefined ? {} : { description: input.description }),
    source: input.source.id,
    fileCount: input.manifest.fileCount,
    totalBytes: input.manifest.totalBytes,
    ...(profileKey ? { profileKey } : {}),
  };
  const put = await input.manifest.finish(header);
  // Lost a race with an identical snapshot: the first one written is the snapshot.
  if (!put.created) return { manifest: (await openManifest(store, dataset, id)).header, created: false };
  return { manifest: put.header, created: true };
}

/** The result of a snapshot whose manifest is described by `ref`. */
export function resultOf(
  dataset: string,
  ref: LatestRef,
  totals: { fileCount: number; totalBytes: number },
  counts: { created: boolean; uploadedFiles: number; uploadedBytes: number; cachedDigests: number },
): SnapshotResult {
  return {
    dataset,
    id: ref.id,
    fileCount: totals.fileCount,
    totalBytes: totals.totalBytes,
    ...counts,
    parent: ref.parent,
    manifestKey: datasetKeys.manifest(dataset, ref.id),
    ...(ref.profileKey ? { profileKey: ref.profileKey } : {}),
  };
}

const json = { contentType: 'application/json' };
