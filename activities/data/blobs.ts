/**
 * Content-addressed blobs: `datasets/<name>/blobs/sha256/<aa>/<digest>`. A body is stored once
 * per dataset with `putIfAbsent`, so two snapshots storing the same body at once cannot clash.
 * Streamed bodies come from `DatasetSource.read`, which fails the stream when the file no longer
 * has the digest, so a file changed since it was hashed is never stored under the old digest.
 */
import { addAbortSignal, type Readable } from 'node:stream';
import type { BlobStore } from '../storage/types';
import { datasetKeys } from './keys';

/** Stores one blob unless present; `true` when this call created it. */
export async function putBlob(
  store: BlobStore,
  dataset: string,
  digest: string,
  body: Buffer | (() => Promise<Readable>),
  signal?: AbortSignal,
): Promise<boolean> {
  const key = datasetKeys.blob(dataset, digest);
  if (Buffer.isBuffer(body)) return (await store.putIfAbsent(key, body)).created;
  let stream = await body();
  if (signal) stream = addAbortSignal(signal, stream);
  return (await store.putIfAbsent(key, stream)).created;
}

/** Whether the blob is in the store. */
export async function hasBlob(store: BlobStore, dataset: string, digest: string): Promise<boolean> {
  return (await store.head(datasetKeys.blob(dataset, digest))) !== undefined;
}
