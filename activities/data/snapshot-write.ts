/** The steps of a snapshot after its files are stored: profile, manifest, and the pieces of its result. */
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { datasetKeys } from './keys';
import { parseManifest, readManifest, type LatestRef } from './manifest-store';
import { profileSnapshot } from './profile';
import type { ProgressReporter } from './progress';
import { profileOf } from './read';
import type { DatasetSource, ExpectedContent, SourceEntry } from './source-types';
import type { ManifestEntry, SnapshotManifest, SnapshotProfile, SnapshotResult } from './types';

/** The dataset's latest snapshot when a new one starts: its digests are known stored, its profiles reusable. */
export interface ParentSnapshot {
  manifest: SnapshotManifest;
  profile: SnapshotProfile | undefined;
}

/** The raw bytes of a manifest, or undefined when it cannot be read (fetched ahead, parsed only if needed). */
export async function fetchManifest(store: BlobStore, dataset: string, id: string): Promise<Buffer | undefined> {
  return store.getBytes(datasetKeys.manifest(dataset, id)).catch(() => undefined);
}

/** Reads the parent's manifest (from `bytes` if fetched already) and profile; a parent that is gone or unreadable is no parent. */
export async function loadParent(
  store: BlobStore,
  dataset: string,
  id: string,
  bytes?: Buffer,
): Promise<ParentSnapshot | undefined> {
  try {
    const manifest = bytes
      ? parseManifest(bytes, datasetKeys.manifest(dataset, id), id)
      : await readManifest(store, dataset, id);
    const profile = await profileOf(store, manifest).catch(() => undefined);
    return { manifest, profile };
  } catch (error) {
    if (error instanceof DataError) return undefined;
    throw error;
  }
}

export interface WriteSnapshotInput {
  dataset: string;
  id: string;
  source: DatasetSource;
  entries: SourceEntry[];
  files: ManifestEntry[];
  contents: ExpectedContent[];
  parent: ParentSnapshot | undefined;
  description: string | undefined;
  createdAt: string;
  progress: ProgressReporter;
}

/** Writes profile and manifest unless a manifest with this id exists; `created` when this call wrote it. */
export async function writeSnapshot(
  store: BlobStore,
  input: WriteSnapshotInput,
): Promise<{ manifest: SnapshotManifest; created: boolean }> {
  const { dataset, id } = input;
  const key = datasetKeys.manifest(dataset, id);
  if (await store.head(key)) return { manifest: await readManifest(store, dataset, id), created: false };

  input.progress.phase('profiling');
  const profile = await profileSnapshot({ ...input, parent: input.parent });
  input.progress.phase('writing');
  const profileKey = profile ? datasetKeys.profile(dataset, id) : undefined;
  if (profile && profileKey) await store.putIfAbsent(profileKey, JSON.stringify(profile), json);
  const manifest: SnapshotManifest = {
    id,
    dataset,
    createdAt: input.createdAt,
    parent: input.parent?.manifest.id ?? null,
    ...(input.description === undefined ? {} : { description: input.description }),
    source: input.source.id,
    fileCount: input.files.length,
    totalBytes: input.files.reduce((sum, file) => sum + file.size, 0),
    ...(profileKey ? { profileKey } : {}),
    files: input.files,
  };
  const put = await store.putIfAbsent(key, JSON.stringify(manifest), json);
  // Lost a race with an identical snapshot: the first one written is the snapshot.
  if (!put.created) return { manifest: await readManifest(store, dataset, id), created: false };
  return { manifest, created: true };
}

/** The result of a snapshot whose manifest is described by `ref`. */
export function resultOf(
  dataset: string,
  ref: LatestRef,
  files: ManifestEntry[],
  counts: { created: boolean; uploadedFiles: number; uploadedBytes: number; cachedDigests: number },
): SnapshotResult {
  return {
    dataset,
    id: ref.id,
    fileCount: files.length,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
    ...counts,
    parent: ref.parent,
    manifestKey: datasetKeys.manifest(dataset, ref.id),
    ...(ref.profileKey ? { profileKey: ref.profileKey } : {}),
  };
}

const json = { contentType: 'application/json' };
