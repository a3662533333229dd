/**
 * Reading and writing a dataset's manifests and its `latest` ref. Manifests are immutable and
 * checked on read (their id must be the digest of their file list); a large one lists its files in
 * chunks (./manifest-chunks.ts), and `openManifest` is the one reader: its entries in path order,
 * a batch at a time, whichever form the manifest has. The ref is the one mutable
 * object: `{ id, parent, profileKey?, updatedAt }`, moved by compare-and-swap. It repeats the
 * parent and profile key of the manifest it names, so an unchanged re-snapshot reads no manifest.
 */
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { snapshotIdOf, sortByPath } from './canonical';
import { DataError } from '../../common/failures';
import { datasetKeys, isDigest } from './keys';
import { chunkedEntries, isChunkList } from './manifest-chunks';
import type { ManifestEntry, ManifestHeader, SnapshotManifest } from './types';

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

/**
 * An opened manifest: its header (checked), and its entries in path order, a batch at a time (a
 * chunk of a chunked manifest, verified as it is read; ./manifest-chunks.ts), so a million-file
 * snapshot is never in memory as one list.
 */
export interface OpenedManifest {
  header: ManifestHeader;
  /** Batches of entries in path order; a chunked manifest fails `SnapshotCorrupt` at the first bad chunk. */
  batches(): AsyncGenerator<ManifestEntry[]>;
}

/** Entries per batch of a single-document manifest. */
const BATCH_ENTRIES = 10_000;

/** Opens and checks a manifest; `SnapshotNotFound` when absent, `SnapshotCorrupt` when it does not match its id. */
export async function openManifest(store: BlobStore, dataset: string, id: string): Promise<OpenedManifest> {
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
  return parseManifest(store, bytes, key, id);
}

/** Reads and checks a manifest with its whole file list (for small ones; large ones: `openManifest`). */
export async function readManifest(store: BlobStore, dataset: string, id: string): Promise<SnapshotManifest> {
  return collect(await openManifest(store, dataset, id));
}

/** The whole file list of an opened manifest. */
export async function collect(opened: OpenedManifest): Promise<SnapshotManifest> {
  const files: ManifestEntry[] = [];
  for await (const batch of opened.batches()) for (const entry of batch) files.push(entry);
  return { ...opened.header, files };
}

/**
 * Parses a manifest object and checks its shape and that `id` is the digest of its file list
 * (for a chunked one: as its chunks are read).
 */
export function parseManifest(store: BlobStore, bytes: Buffer, key: string, id: string): OpenedManifest {
  const corrupt = (why: string) => new DataError('SnapshotCorrupt', `manifest ${key} is corrupt: ${why}`, { key });
  let value: SnapshotManifest;
  try {
    value = JSON.parse(bytes.toString('utf8')) as SnapshotManifest;
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt('no file list');
  if (value.id !== id) throw corrupt(`it names id ${String(value.id)}`);
  if (!Array.isArray(value.files)) {
    if (!isChunkList(value.chunks)) throw corrupt('no file list');
    if (!Number.isSafeInteger(value.fileCount) || !Number.isSafeInteger(value.totalBytes)) {
      throw corrupt('no file count or byte count');
    }
    const header: ManifestHeader = value;
    return { header, batches: () => chunkedEntries(store, header) };
  }
  if (!value.files.every(isEntry)) throw corrupt('a file entry is malformed');
  if (snapshotIdOf(value.files) !== id) throw corrupt('its file list does not hash to its id');
  const { files: listed, ...header } = value;
  const files = sortByPath([...listed]);
  return {
    header,
    async *batches() {
      for (let start = 0; start < files.length; start += BATCH_ENTRIES) yield files.slice(start, start + BATCH_ENTRIES);
    },
  };
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
