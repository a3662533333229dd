/**
 * Restores a snapshot's files into a folder, exactly as recorded.
 *
 * - Every manifest path is checked before anything is written: absolute paths, `..`, empty
 *   segments or backslashes fail with `SnapshotCorrupt`; so does a folder that resolves outside
 *   the target through a symlink already there.
 * - Each body streams from the store into a hidden temp file beside its target (`.name.<rand>.mlops-tmp`)
 *   while its sha256 is computed, and is renamed into place only when digest and size match: a
 *   failed or interrupted run leaves no file that looks complete. A mismatch removes the temp
 *   file and any old file at the target and fails with `SnapshotCorrupt` naming the file.
 * - A file already at its target with the right size and digest (e.g. from an earlier attempt)
 *   is kept, not downloaded again.
 * - The manifest is read a chunk at a time (./manifest-chunks.ts), twice: once to check every path
 *   and chunk, once to restore; no step holds the whole file list of a large snapshot.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { errorCode } from './system-errors';
import { DataError } from '../../common/failures';
import { datasetKeys, validateDatasetName } from './keys';
import { openManifest } from './manifest-store';
import { forEachLimit } from './pool';
import { resolveSnapshotId } from './read';
import type { ManifestEntry, MaterializeInput, MaterializeResult } from './types';

const CONCURRENCY = 8;

export interface MaterializeOptions {
  /** Called after each file with the counts so far. */
  onProgress?: (done: { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number }) => void;
  signal?: AbortSignal;
}

/** Restores snapshot `input.id` of `input.dataset` into `input.dir`; see the module comment. */
export async function materializeSnapshot(
  store: BlobStore,
  input: MaterializeInput,
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const dataset = validateDatasetName(input.dataset);
  if (typeof input.dir !== 'string' || !path.isAbsolute(input.dir)) {
    throw new DataError('InvalidInput', `dir: must be an absolute folder path (got ${JSON.stringify(input.dir)})`);
  }
  const id = await resolveSnapshotId(store, dataset, input.id);
  const manifest = await openManifest(store, dataset, id);
  const dir = path.resolve(input.dir);
  // First pass, before anything is written: every path is safe, every chunk matches the id.
  for await (const batch of manifest.batches()) for (const file of batch) targetOf(dir, file.path, id);
  await fs.mkdir(dir, { recursive: true });
  const realDir = await fs.realpath(dir);

  const { fileCount, totalBytes } = manifest.header;
  const counts = { filesDone: 0, filesTotal: fileCount, bytesDone: 0, bytesTotal: totalBytes };
  let restored = 0;
  // Second pass: a batch (a chunk) at a time, CONCURRENCY files at once.
  for await (const batch of manifest.batches()) {
    await forEachLimit(
      batch.length,
      CONCURRENCY,
      async (index) => {
        const file = batch[index]!;
        const target = targetOf(dir, file.path, id);
        const folder = await folderInside(realDir, dir, file.path.split('/').slice(0, -1), file.path);
        const final = path.join(folder, path.basename(target));
        if (!(await hasContent(final, file))) {
          await download(store, dataset, id, file, final);
          restored++;
        }
        counts.filesDone++;
        counts.bytesDone += file.size;
        options.onProgress?.({ ...counts });
      },
      options.signal,
    );
  }
  return {
    dataset,
    id,
    dir,
    fileCount,
    totalBytes,
    restoredFiles: restored,
    reusedFiles: fileCount - restored,
  };
}

/** The absolute target of a manifest path, refusing any path that could land outside `dir`. */
function targetOf(dir: string, filePath: string, id: string): string {
  const segments = filePath.split('/');
  const unsafe =
    filePath === '' ||
    filePath.includes('\\') ||
    filePath.includes('\0') ||
    path.isAbsolute(filePath) ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  const target = path.join(dir, ...segments);
  if (unsafe || !target.startsWith(dir + path.sep)) {
    throw new DataError(
      'SnapshotCorrupt',
      `snapshot ${id} lists path ${JSON.stringify(filePath)}, which escapes ${dir}`,
    );
  }
  return target;
}

/**
 * The folder of a manifest path under `realDir`, made one level at a time: a symlink on the way is
 * followed only when it stays inside the target, so nothing is created outside it before the refusal.
 */
async function folderInside(realDir: string, dir: string, segments: string[], filePath: string): Promise<string> {
  let current = realDir;
  for (const segment of segments) {
    const next = path.join(current, segment);
    let stat = await fs.lstat(next).catch(() => undefined);
    if (!stat) {
      await fs.mkdir(next).catch((error: unknown) => {
        if (errorCode(error) !== 'EEXIST') throw error;
      });
      stat = await fs.lstat(next);
    }
    if (stat.isSymbolicLink()) {
      const real = await fs.realpath(next);
      if (real !== realDir && !real.startsWith(realDir + path.sep)) {
        throw new DataError('SnapshotCorrupt', `${filePath}: its folder resolves to ${real}, outside ${dir}`);
      }
      if (!(await fs.stat(real)).isDirectory()) throw notAFolder(next);
      current = real;
    } else if (stat.isDirectory()) current = next;
    else throw notAFolder(next);
  }
  return current;
}

function notAFolder(folder: string): DataError {
  return new DataError('InvalidInput', `dir: ${folder} is a file, but the snapshot has a folder there`);
}

/** Whether `file` already holds exactly this entry's bytes (a regular file, not a link). */
async function hasContent(file: string, entry: ManifestEntry): Promise<boolean> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat?.isFile() || stat.size !== entry.size) return false;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex') === entry.sha256;
}

/** Streams one blob into a temp file beside `final`, checks it, and renames it into place. */
async function download(store: BlobStore, dataset: string, id: string, entry: ManifestEntry, final: string) {
  const key = datasetKeys.blob(dataset, entry.sha256);
  const temp = path.join(path.dirname(final), `.${path.basename(final)}.${randomUUID().slice(0, 8)}.mlops-tmp`);
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    let body;
    try {
      body = await store.get(key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await fs.rm(final, { force: true });
      throw new DataError(
        'SnapshotCorrupt',
        `${entry.path}: its body ${key} is missing from the store (snapshot ${id})`,
      );
    }
    await pipeline(body, count, createWriteStream(temp, { flags: 'wx' }));
    const digest = hash.digest('hex');
    if (digest !== entry.sha256 || size !== entry.size) {
      await fs.rm(final, { force: true });
      throw new DataError(
        'SnapshotCorrupt',
        `${entry.path}: the stored body does not match snapshot ${id} (sha256 ${digest}, ${size} bytes; ` +
          `expected ${entry.sha256}, ${entry.size} bytes)`,
        { path: entry.path, key, expected: entry.sha256, actual: digest },
      );
    }
    await fs.rename(temp, final).catch((error: unknown) => {
      if (errorCode(error) === 'EISDIR' || errorCode(error) === 'ENOTEMPTY') {
        throw new DataError('InvalidInput', `dir: ${final} is a folder, but the snapshot has a file there`);
      }
      throw error;
    });
  } finally {
    await fs.rm(temp, { force: true });
  }
}
