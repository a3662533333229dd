/**
 * Model folders in the store, as training jobs (a job's `modelUri`) and model servers (a version's
 * `artifactUri`) read them: the store prefix a folder URI names, and downloading every object under
 * it, relative paths kept. Each object is streamed to a temp file, its size checked against what the
 * listing said, then renamed into place, so a job or a server never sees a partial file.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mapLimit } from '../storage/json';
import type { BlobStore, ObjectInfo } from '../storage/types';
import { validateKey } from '../storage/keys';

/**
 * Thrown when a model folder's URI is not a folder inside the store, or the folder holds nothing;
 * callers re-raise it naming their own field (a job's `modelUri`, a variant's `model.artifactUri`).
 */
export class InvalidModelFolderError extends Error {
  override readonly name = 'InvalidModelFolderError';
  constructor(readonly problem: string) {
    super(problem);
  }
}

/** The store key prefix (no trailing slash) of `uri`, which must name a folder inside the store at `storeUri`. */
export function modelKeyPrefix(uri: string, storeUri: string): string {
  const root = `${storeUri.replace(/\/+$/, '')}/`;
  if (typeof uri !== 'string' || !uri.startsWith(root)) {
    throw new InvalidModelFolderError(`must be a folder inside the store ${root} (got ${JSON.stringify(uri)})`);
  }
  const prefix = uri.slice(root.length).replace(/\/+$/, '');
  try {
    validateKey(prefix);
  } catch (error) {
    throw new InvalidModelFolderError((error as Error).message);
  }
  return prefix;
}

/** Objects downloaded at once. */
const DOWNLOAD_CONCURRENCY = 8;

/** Downloads every object under `<prefix>/` into `dir`; returns the file count and bytes. */
export async function downloadModel(
  store: BlobStore,
  prefix: string,
  dir: string,
): Promise<{ files: number; bytes: number }> {
  const root = `${prefix.replace(/\/+$/, '')}/`;
  const objects: ObjectInfo[] = [];
  for await (const info of store.list(root)) objects.push(info);
  if (objects.length === 0) {
    throw new InvalidModelFolderError(`no objects under ${store.uri.replace(/\/+$/, '')}/${root}`);
  }
  // every target is checked before anything is created: a key with `..` (S3 allows it) must not reach outside `dir`
  const targets = objects.map((info) => targetIn(dir, info.key.slice(root.length), info.key));
  await fs.mkdir(dir, { recursive: true });
  await mapLimit(objects, DOWNLOAD_CONCURRENCY, async (info, index) => {
    const target = targets[index]!;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      await pipeline(await store.get(info.key), createWriteStream(temp));
      const { size } = await fs.stat(temp);
      // a size that differs from the listing: the object changed or the read was cut; retryable
      if (size !== info.size) throw new Error(`${info.key}: read ${size} bytes, the store lists ${info.size}`);
      await fs.rename(temp, target);
    } finally {
      await fs.rm(temp, { force: true });
    }
  });
  return { files: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) };
}

/** Where the object `key` (at `rel` under the folder) lands in `dir`; refuses a path that would leave it. */
function targetIn(dir: string, rel: string, key: string): string {
  const base = path.resolve(dir);
  const target = path.join(base, ...rel.split('/'));
  if (rel.split('/').includes('..') || rel.includes('\0') || !target.startsWith(base + path.sep)) {
    throw new InvalidModelFolderError(`the store object ${key} has a path that would leave the model folder`);
  }
  return target;
}
