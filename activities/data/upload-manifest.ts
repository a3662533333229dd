/**
 * Upload manifests: what a client uploaded for a snapshot, `uploads/<hex>.json` in the platform's
 * store. The client hashes a folder on its own machine, stores the blobs the dataset lacks
 * (`datasets/<name>/blobs/…`, as a snapshot does) and then writes this manifest; the source
 * `upload://<hex>` names it (./upload-source.ts).
 *
 *   hex = sha256( UTF-8( <dataset> "\n" <canonical file list> ) )   (./canonical.ts `canonicalManifest`)
 *
 * so the name covers the dataset and the content only. Where the files came from (`origin`: host
 * and folder) is recorded for display and is not part of it: the first upload of a content keeps
 * its origin (`putIfAbsent`).
 */
import type { BlobStore } from '../storage/types';
import { DataError } from '../../common/failures';
import { canonicalManifest, sha256Hex } from './canonical';
import { isDigest } from './keys';
import type { ManifestEntry } from './types';

/** The scheme of an upload source: `upload://<hex>`. */
export const UPLOAD_SCHEME = 'upload://';

export interface UploadManifest {
  version: 1;
  /** The dataset whose blobs hold the files. */
  dataset: string;
  /** Sorted by path in byte order. */
  files: ManifestEntry[];
  /** Where the files were read, for display only. */
  origin: { host: string; folder: string };
  createdAt: string;
}

/** The store key of an upload manifest. */
export function uploadKey(hex: string): string {
  return `uploads/${hex}.json`;
}

/** The hex that names an upload of `files` (sorted or not) for `dataset`; see the module comment. */
export function uploadDigestOf(dataset: string, files: readonly ManifestEntry[]): string {
  return sha256Hex(`${dataset}\n${canonicalManifest(files)}`);
}

/** The hex of an `upload://<hex>` source, or undefined when `source` is not one. */
export function uploadHexOf(source: string): string | undefined {
  if (!source.startsWith(UPLOAD_SCHEME)) return undefined;
  const hex = source.slice(UPLOAD_SCHEME.length).replace(/\/+$/, '');
  if (!isDigest(hex)) {
    throw new DataError('InvalidInput', `source: ${source} is not upload://<64 lowercase hex digits>`);
  }
  return hex;
}

/** Writes the manifest unless an upload of the same content exists; returns its source, `upload://<hex>`. */
export async function writeUploadManifest(store: BlobStore, manifest: UploadManifest): Promise<string> {
  const hex = uploadDigestOf(manifest.dataset, manifest.files);
  await store.putIfAbsent(uploadKey(hex), JSON.stringify(manifest), { contentType: 'application/json' });
  return `${UPLOAD_SCHEME}${hex}`;
}

/**
 * Reads and checks the manifest of upload `hex`: `DatasetSourceInvalid` naming the upload when it
 * is missing, unreadable, or not the content its name says.
 */
export async function readUploadManifest(store: BlobStore, hex: string): Promise<UploadManifest> {
  const source = `${UPLOAD_SCHEME}${hex}`;
  const key = uploadKey(hex);
  if (!(await store.head(key))) {
    throw new DataError(
      'DatasetSourceInvalid',
      `source ${source}: the store has no upload manifest ${key}; upload the folder again (mlops data snapshot <dataset> <folder>)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse((await store.getBytes(key)).toString('utf8'));
  } catch (error) {
    throw new DataError('DatasetSourceInvalid', `source ${source}: ${key} is not JSON`, undefined, { cause: error });
  }
  const manifest = value as Partial<UploadManifest> | null;
  const valid =
    manifest !== null &&
    typeof manifest === 'object' &&
    typeof manifest.dataset === 'string' &&
    Array.isArray(manifest.files) &&
    manifest.files.every(
      (f) =>
        typeof f === 'object' &&
        f !== null &&
        typeof f.path === 'string' &&
        isRelativePath(f.path) &&
        isDigest(f.sha256) &&
        Number.isSafeInteger(f.size) &&
        f.size >= 0,
    );
  if (!valid) throw new DataError('DatasetSourceInvalid', `source ${source}: ${key} is not an upload manifest`);
  const full = manifest as UploadManifest;
  if (uploadDigestOf(full.dataset, full.files) !== hex) {
    throw new DataError('DatasetSourceInvalid', `source ${source}: ${key} does not hold the content its name says`);
  }
  return full;
}

/** A `/`-separated relative path with no empty, `.` or `..` segment, as a scan gives. */
function isRelativePath(p: string): boolean {
  return !p.includes('\0') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
