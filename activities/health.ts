/** Health activities: prove a worker can reach the object store (write, read back, verify, delete). */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { activityInfo } from '@temporalio/activity';
import { asActivity } from './failures';
import type { BlobStore } from './storage/types';

export interface StoreProbeResult {
  storeUri: string;
  key: string;
  bytes: number;
  sha256: string;
  roundTripMs: number;
  worker: { host: string; pid: number; taskQueue: string };
}

export function createHealthActivities(deps: { store: BlobStore }) {
  return {
    /** Round-trips a small object through the store and verifies its digest; the object is removed after. */
    async storeRoundTrip(nonce: string): Promise<StoreProbeResult> {
      // a store that refuses the credentials fails the probe at once (StoreAccessDenied, not retried)
      return asActivity(() => roundTrip(deps.store, nonce));
    },
  };
}

async function roundTrip(store: BlobStore, nonce: string): Promise<StoreProbeResult> {
  const started = Date.now();
  const body = Buffer.from(`mlops health probe ${nonce} ${randomUUID()}\n`);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = `health/${encodeURIComponent(nonce)}-${randomUUID()}`;
  await store.put(key, body, { contentType: 'text/plain' });
  try {
    const read = await store.getBytes(key);
    const readSha = createHash('sha256').update(read).digest('hex');
    if (readSha !== sha256) throw new Error(`store returned different bytes for ${key}: ${readSha} != ${sha256}`);
  } finally {
    await store.delete(key);
  }
  return {
    storeUri: store.uri,
    key,
    bytes: body.length,
    sha256,
    roundTripMs: Date.now() - started,
    worker: { host: os.hostname(), pid: process.pid, taskQueue: activityInfo().taskQueue },
  };
}
