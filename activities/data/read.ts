/** Read helpers for the CLI and the other data functions: snapshot lists, id resolution, profiles. */
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { datasetKeys, isDigest, validateDatasetName } from './keys';
import { openManifest, readLatest } from './manifest-store';
import type { ManifestHeader, SnapshotProfile, SnapshotSummary } from './types';

export { collect, openManifest, readManifest, type OpenedManifest } from './manifest-store';

const MIN_PREFIX = 6;
const READ_CONCURRENCY = 8;

/** The snapshots of `dataset`, newest first (by creation time, then id). */
export async function listSnapshots(store: BlobStore, dataset: string): Promise<SnapshotSummary[]> {
  validateDatasetName(dataset);
  const ids: string[] = [];
  for await (const info of store.list(datasetKeys.snapshots(dataset))) {
    const id = info.key.slice(datasetKeys.snapshots(dataset).length).replace(/\.json$/, '');
    if (isDigest(id)) ids.push(id);
  }
  const summaries: SnapshotSummary[] = new Array<SnapshotSummary>(ids.length);
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const index = next++;
      const { header: m } = await openManifest(store, dataset, ids[index]!);
      summaries[index] = {
        id: m.id,
        createdAt: m.createdAt,
        fileCount: m.fileCount,
        totalBytes: m.totalBytes,
        parent: m.parent,
        ...(m.description === undefined ? {} : { description: m.description }),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, lane));
  return summaries.sort((a, b) =>
    a.createdAt === b.createdAt ? compare(a.id, b.id) : compare(b.createdAt, a.createdAt),
  );
}

/**
 * The full id that `idOrPrefix` names: `latest`, a full id, or a unique prefix of at least 6 hex
 * characters. `SnapshotNotFound` when nothing (or more than one snapshot) matches.
 */
export async function resolveSnapshotId(store: BlobStore, dataset: string, idOrPrefix: string): Promise<string> {
  validateDatasetName(dataset);
  const wanted = String(idOrPrefix).trim().toLowerCase();
  if (wanted === 'latest') {
    const { ref } = await readLatest(store, dataset);
    if (!ref) throw notFound(dataset, `dataset ${dataset} has no snapshots yet`, idOrPrefix);
    return ref.id;
  }
  if (!/^[0-9a-f]+$/.test(wanted) || wanted.length < MIN_PREFIX || wanted.length > 64) {
    throw new DataError(
      'InvalidInput',
      `id: must be "latest" or ${MIN_PREFIX} to 64 hex characters of a snapshot id (got ${JSON.stringify(idOrPrefix)})`,
    );
  }
  if (isDigest(wanted)) {
    if (await store.head(datasetKeys.manifest(dataset, wanted))) return wanted;
    throw notFound(dataset, `dataset ${dataset} has no snapshot ${wanted}`, idOrPrefix);
  }
  const matches: string[] = [];
  for await (const info of store.list(datasetKeys.snapshots(dataset) + wanted)) {
    const id = info.key.slice(datasetKeys.snapshots(dataset).length).replace(/\.json$/, '');
    if (isDigest(id)) matches.push(id);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw notFound(dataset, `dataset ${dataset} has no snapshot whose id starts with ${wanted}`, idOrPrefix);
  throw notFound(
    dataset,
    `snapshot id prefix ${wanted} is ambiguous in dataset ${dataset}: it matches ${matches.map((id) => id.slice(0, 12)).join(', ')}`,
    idOrPrefix,
  );
}

/** The tabular profile of a snapshot, or undefined when it has no CSV or Parquet files; `SnapshotNotFound` when it does not exist. */
export async function readProfile(store: BlobStore, dataset: string, id: string): Promise<SnapshotProfile | undefined> {
  return profileOf(store, (await openManifest(store, dataset, id)).header);
}

/** The profile a manifest names, or undefined when it names none. */
export async function profileOf(store: BlobStore, manifest: ManifestHeader): Promise<SnapshotProfile | undefined> {
  const { dataset, id } = manifest;
  if (!manifest.profileKey) return undefined;
  try {
    return JSON.parse((await store.getBytes(manifest.profileKey)).toString('utf8')) as SnapshotProfile;
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new DataError(
        'SnapshotCorrupt',
        `snapshot ${id} of ${dataset} names profile ${manifest.profileKey}, which is missing`,
      );
    }
    if (error instanceof SyntaxError) {
      throw new DataError('SnapshotCorrupt', `profile ${manifest.profileKey} is not valid JSON`);
    }
    throw error;
  }
}

function notFound(dataset: string, message: string, id: string): DataError {
  return new DataError('SnapshotNotFound', message, { dataset, id });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
