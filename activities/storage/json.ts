/**
 * JSON objects in a `BlobStore`, and the helpers optimistic concurrency needs: reads that report
 * the etag they saw, jittered backoff between lost races, bounded parallel reads.
 * Shared by the registry and experiment tracking.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from './types';

/** How many lost compare-and-swap races an update survives before it gives up (a retryable error). */
export const MAX_CAS_ATTEMPTS = 100;

/** Serialises a value as a JSON body (two-space indented, newline-terminated). */
export function jsonBody(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Reads and parses a JSON object, or `undefined` when absent. */
export async function readJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  try {
    return JSON.parse((await store.getBytes(key)).toString('utf8')) as T;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** A JSON object with the etag read before its body (`etag: null` and no value when absent). */
export type Versioned<T> = { etag: string; value: T } | { etag: null; value: undefined };

/**
 * Reads the etag, then the body: a body newer than the etag only makes the later swap fail
 * (activities/storage/index.ts). Retries when the object vanishes between the two reads.
 */
export async function readVersioned<T>(store: BlobStore, key: string): Promise<Versioned<T>> {
  for (;;) {
    const info = await store.head(key);
    if (!info) return { etag: null, value: undefined };
    const value = await readJson<T>(store, key);
    if (value !== undefined) return { etag: info.etag, value };
  }
}

/** Waits a random time below a cap that doubles with each attempt ("full jitter"), at most `maxMs`. */
export async function backoff(attempt: number, maxMs = 250): Promise<void> {
  await sleep(Math.random() * Math.min(maxMs, 4 * 2 ** Math.min(attempt, 16)));
}

/** Maps `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every key under `prefix`, in key order. */
export async function listKeys(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}
