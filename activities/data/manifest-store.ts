/**
 * Reading and writing a dataset's manifests and its `latest` ref. Manifests are immutable and
 * checked on read (their id must be the digest of their file list). The ref is the one mutable
 * object: `{ id, parent, profileKey?, updatedAt }`, moved by compare-and-swap. It repeats the
 * parent and profile key of the manifest it names, so an unchanged re-snapshot reads no manifest.
 */
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { snapshotIdOf } from './canonical';
import { DataError } from '../../common/failures';
import { datasetKeys, isDigest } from './keys';
import type { ManifestEntry, SnapshotManifest } from './types';

/** The body of `datasets/<name>/refs/latest.json`. */
export interface LatestRef {
  id: string;
  parent: string | null;
  profileKey?: string;
  updatedAt: string;
}

const CAS_ATTEMPTS = 20;

/** The latest ref and its etag; `ref` is undefined when there is none (or it is unreadable, `etag` then set). */
export async function readLatest(
  store: BlobStore,
  dataset: string,
): Promise<{ ref: LatestRef | undefined; etag: string | null }> {
  const key = datasetKeys.latest(dataset);
  // The etag is read before the body: a body newer than the etag only makes a later swap fail.
  const info = await store.head(key);
  if (!info) return { ref: undefined, etag: null };
  let bytes: Buffer;
  try {
    bytes = await store.getBytes(key);
  } catch (error) {
    if (error instanceof NotFoundError) return { ref: undefined, etag: null };
    throw error;
  }
  return { ref: parseRef(bytes), etag: info.etag };
}

/** Points `latest` at `next.id` (compare-and-swap, retried when another writer moved it meanwhile). */
export async function moveLatest(store: BlobStore, dataset: string, next: LatestRef): Promise<void> {
  const key = datasetKeys.latest(dataset);
  const body = JSON.stringify(next, null, 2);
  for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
    const current = await readLatest(store, dataset);
    if (current.ref?.id === next.id) return;
    const result = await store.compareAndSwap(key, current.etag, body, { contentType: 'application/json' });
    if (result.swapped) return;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
  }
  throw new Error(`could not update ${key}: it kept changing (${CAS_ATTEMPTS} attempts)`);
}

/** Reads and checks a manifest; `SnapshotNotFound` when absent, `SnapshotCorrupt` when it does not match its id. */
export async function readManifest(store: BlobStore, dataset: string, id: string): Promise<SnapshotManifest> {
  const key = datasetKeys.manifest(dataset, id);
  let bytes: Buffer;
  try {
    bytes = await store.getBytes(key);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new DataError('SnapshotNotFound', `dataset ${dataset} has no snapshot ${id}`, { dataset, id });
    }
    throw error;
  }
  return parseManifest(bytes, key, id);
}

/** Parses a manifest and checks its shape and that `id` is the digest of its file list. */
export function parseManifest(bytes: Buffer, key: string, id: string): SnapshotManifest {
  const corrupt = (why: string) => new DataError('SnapshotCorrupt', `manifest ${key} is corrupt: ${why}`, { key });
  let value: SnapshotManifest;
  try {
    value = JSON.parse(bytes.toString('utf8')) as SnapshotManifest;
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof value !== 'object' || value === null || !Array.isArray(value.files)) throw corrupt('no file list');
  if (!value.files.every(isEntry)) throw corrupt('a file entry is malformed');
  if (value.id !== id) throw corrupt(`it names id ${String(value.id)}`);
  if (snapshotIdOf(value.files) !== id) throw corrupt('its file list does not hash to its id');
  return value;
}

function isEntry(entry: ManifestEntry): boolean {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.path === 'string' &&
    isDigest(entry.sha256) &&
    Number.isSafeInteger(entry.size) &&
    entry.size >= 0
  );
}

function parseRef(bytes: Buffer): LatestRef | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<LatestRef>;
    if (!isDigest(value.id)) return undefined;
    const parent = isDigest(value.parent) ? value.parent : null;
    const profileKey = typeof value.profileKey === 'string' ? value.profileKey : undefined;
    return { id: value.id, parent, profileKey, updatedAt: String(value.updatedAt ?? '') };
  } catch {
    return undefined;
  }
}
