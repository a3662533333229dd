/**
 * `packageCode`: a code folder as a content-addressed package in the store, `code/<hex>.zip`
 * (./archive.ts, ./manifest.ts), uploaded only when the store lacks it. The files are those the
 * code version counts (./code-files.ts); a folder past the size limit is refused naming its largest
 * files.
 */
import fs from 'node:fs/promises';
import { InvalidArgumentError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { buildArchive, manifestOf, type ArchiveFile } from './archive';
import { listCodeFiles, type CodeFile } from './code-files';
import { codePackageKey } from './manifest';

/** The default limit on a package's files, in bytes (MLOPS_CODE_PACKAGE_MAX_BYTES). */
export const DEFAULT_CODE_PACKAGE_MAX_BYTES = 50 * 1024 * 1024;
/** How many of the largest files a too-large error names. */
const NAMED_LARGEST = 5;

export interface PackageCodeOptions {
  /** The most bytes the files may hold together. @default DEFAULT_CODE_PACKAGE_MAX_BYTES */
  maxBytes?: number;
  /** The field errors name (e.g. `training.codeDir`). @default 'folder' */
  field?: string;
  /** Accept a folder without code files (a Ray job whose command needs none). @default false */
  allowEmpty?: boolean;
}

/** A stored code package. */
export interface CodePackage {
  /** `sha256:<hex>` of the manifest: what a job's `codePackage.digest` and the code version hold. */
  digest: string;
  /** Its store key, `code/<hex>.zip`. */
  key: string;
  files: number;
  /** Bytes of the files (before compression). */
  bytes: number;
  /** Whether this call uploaded it (false: the store had it already). */
  uploaded: boolean;
}

/**
 * Packages the code files under `folder` (an existing folder) into the store, once per content.
 * Refuses non-retryably (`InvalidArgument`, naming `options.field`) a missing folder, one with no
 * code files, one past `maxBytes` (naming its largest files) and a symlink that leads out of it.
 */
export async function packageCode(
  store: BlobStore,
  folder: string,
  options: PackageCodeOptions = {},
): Promise<CodePackage> {
  const files = await readCodeFolder(folder, options);
  const manifest = manifestOf(files);
  const key = codePackageKey(manifest.digest);
  const summary = { digest: manifest.digest, key, files: files.length, bytes: totalBytes(files) };
  // unchanged code: the store has it, nothing is zipped or sent
  if (await store.head(key)) return { ...summary, uploaded: false };
  const { zip } = buildArchive(files, manifest);
  const put = await store.putIfAbsent(key, zip, { contentType: 'application/zip' });
  return { ...summary, uploaded: put.created };
}

/** The archive of the code files under `folder` (nothing stored): for backends that ship code themselves. */
export async function archiveFolder(
  folder: string,
  options: PackageCodeOptions = {},
): Promise<{ digest: string; zip: Uint8Array; files: number; bytes: number }> {
  const files = await readCodeFolder(folder, options);
  const { digest, zip } = buildArchive(files);
  return { digest, zip, files: files.length, bytes: totalBytes(files) };
}

/** The code files under `folder`, read, within the size limit; see `packageCode` for what is refused. */
async function readCodeFolder(
  folder: string,
  { maxBytes = DEFAULT_CODE_PACKAGE_MAX_BYTES, field = 'folder', allowEmpty = false }: PackageCodeOptions,
): Promise<ArchiveFile[]> {
  const fail = (problem: string) => new InvalidArgumentError(field, problem);
  const isDir = await fs.stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (typeof folder !== 'string' || !isDir) throw fail(`${String(folder)} is not a folder`);
  const listed = await listCodeFiles(folder, fail);
  if (listed.length === 0 && !allowEmpty)
    throw fail(`${folder} holds no code files (hidden files, caches and byte code are left out)`);
  checkSize(folder, listed, maxBytes, fail);
  const files: ArchiveFile[] = [];
  for (const file of listed) {
    const content = await fs.readFile(file.absolute);
    file.size = content.length;
    files.push({ path: file.path, bytes: content, executable: file.executable });
  }
  // a file that grew between listing and reading still counts
  checkSize(folder, listed, maxBytes, fail);
  return files;
}

function totalBytes(files: readonly ArchiveFile[]): number {
  return files.reduce((sum, f) => sum + f.bytes.length, 0);
}

function checkSize(folder: string, files: readonly CodeFile[], maxBytes: number, fail: (p: string) => Error): void {
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total <= maxBytes) return;
  const largest = [...files]
    .sort((a, b) => b.size - a.size)
    .slice(0, NAMED_LARGEST)
    .map((f) => `${f.path} (${mib(f.size)})`)
    .join(', ');
  throw fail(
    `${folder} holds ${mib(total)} of code, more than the limit of ${mib(Math.max(maxBytes, 0))} ` +
      `(MLOPS_CODE_PACKAGE_MAX_BYTES); the largest files: ${largest}. ` +
      'Move data and models out of the code folder (datasets are snapshotted, models go to the store) or raise the limit',
  );
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
