/** Read-modify-write of the tracker's JSON records (run.json, trial.json) by compare-and-swap. */
import type { BlobStore } from '../storage/types';
import { ContentionError } from '../../common/failures';
import { backoff, jsonBody, MAX_CAS_ATTEMPTS, readVersioned } from '../storage/json';

/**
 * Applies `change` to the record at `key` and swaps the result in, retrying lost races with
 * jittered backoff. `change` returns `undefined` to leave the record as it is. Throws `missing()`
 * when the record does not exist.
 */
export async function updateRecord<T>(
  store: BlobStore,
  key: string,
  change: (current: T) => T | undefined,
  missing: () => Error,
): Promise<T> {
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
    const read = await readVersioned<T>(store, key);
    if (read.etag === null) throw missing();
    const next = change(read.value);
    if (next === undefined) return read.value;
    const swap = await store.compareAndSwap(key, read.etag, jsonBody(next), { contentType: 'application/json' });
    if (swap.swapped) return next;
    await backoff(attempt);
  }
  throw new ContentionError(key, MAX_CAS_ATTEMPTS);
}
