/**
 * Downloading a model folder (every object under a store prefix) into a job's `model/` folder,
 * relative paths kept. Each object is streamed to a temp file, its size checked against what the
 * listing said, then renamed into place, so a job never sees a partial file.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { mapLimit } from '../storage/json';
import type { BlobStore, ObjectInfo } from '../storage/types';
import { InvalidTrainingJobError } from '../training/errors';

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
    throw new InvalidTrainingJobError('modelUri', `no objects under ${store.uri.replace(/\/+$/, '')}/${root}`);
  }
  await fs.mkdir(dir, { recursive: true });
  await mapLimit(objects, DOWNLOAD_CONCURRENCY, async (info) => {
    const target = path.join(dir, ...info.key.slice(root.length).split('/'));
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
