/**
 * Content-addressed blobs: `datasets/<name>/blobs/sha256/<aa>/<digest>`. A body is stored once
 * per dataset, create-only, so two snapshots storing the same body at once cannot clash.
 * Streamed bodies come from `DatasetSource.read`, which fails the stream when the file no longer
 * has the digest, so a file changed since it was hashed is never stored under the old digest.
 *
 * A snapshot writes its bodies through one `BlobWriter`: on a store with `openBatch` (both of
 * ours), the bodies become durable together at `commit` (the filesystem store: no fsync per body),
 * which the snapshot awaits before it writes anything that names them; on any other store, each
 * body is a `head`, then a `putIfAbsent`, durable one by one.
 */
import { addAbortSignal, type Readable } from 'node:stream';
import type { BlobBatch, BlobStore, Body } from '../storage/types';
import { datasetKeys } from './keys';

/** A body in hand, or how to stream it (opened only when the blob turns out to be missing). */
export type BlobBody = Buffer | (() => Promise<Readable>);

/** Where one snapshot's new bodies go. */
export interface BlobWriter {
  /** Whether a body `put` reports is durable already, or only once `commit` resolves. */
  readonly durableOnPut: boolean;
  /**
   * Whether a second put of a body costs only a local check, so the caller need not remember the
   * bodies it put: true for a batch that stages bodies until its commit (the filesystem store's,
   * which checks a key with one `stat` and skips a key it staged already).
   */
  readonly checksLocally: boolean;
  /** Stores one blob unless present; `true` when this call created (or staged) it. */
  put(digest: string, body: BlobBody, signal?: AbortSignal): Promise<boolean>;
  /** Makes every body put so far durable and visible. */
  commit(): Promise<void>;
  /** Drops bodies put since the last commit (best effort). */
  abort(): Promise<void>;
}

/** The writer for `dataset`'s blobs in `store`: batched when the store can, one by one otherwise. */
export function openBlobWriter(store: BlobStore, dataset: string): BlobWriter {
  const batch = store.openBatch?.();
  return batch ? batchWriter(batch, dataset) : oneByOneWriter(store, dataset);
}

function batchWriter(batch: BlobBatch, dataset: string): BlobWriter {
  return {
    durableOnPut: batch.putsAreDurable,
    checksLocally: !batch.putsAreDurable,
    put: async (digest, body, signal) => {
      const key = datasetKeys.blob(dataset, digest);
      const lazy = Buffer.isBuffer(body) ? body : () => open(body, signal);
      return (await batch.putIfAbsent(key, lazy, digest)).created;
    },
    commit: () => batch.commit(),
    abort: () => batch.abort(),
  };
}

function oneByOneWriter(store: BlobStore, dataset: string): BlobWriter {
  return {
    durableOnPut: true,
    checksLocally: false,
    put: async (digest, body, signal) => {
      if (await hasBlob(store, dataset, digest)) return false;
      return putBlob(store, dataset, digest, body, signal);
    },
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

async function open(body: () => Promise<Readable>, signal: AbortSignal | undefined): Promise<Body> {
  const stream = await body();
  return signal ? addAbortSignal(signal, stream) : stream;
}

/** Stores one blob unless present, durable at once; `true` when this call created it. */
export async function putBlob(
  store: BlobStore,
  dataset: string,
  digest: string,
  body: BlobBody,
  signal?: AbortSignal,
): Promise<boolean> {
  const key = datasetKeys.blob(dataset, digest);
  if (Buffer.isBuffer(body)) return (await store.putIfAbsent(key, body)).created;
  return (await store.putIfAbsent(key, await open(body, signal))).created;
}

/** Whether the blob is in the store. */
export async function hasBlob(store: BlobStore, dataset: string, digest: string): Promise<boolean> {
  return (await store.head(datasetKeys.blob(dataset, digest))) !== undefined;
}
