/**
 * Reading what the gateway captured: its NDJSON batches under
 * `endpoints/<endpoint>/capture|feedback/<yyyy-mm-dd>/<hh>/<time>-<rand>.ndjson` (gateway/capture.ts
 * writes them). Used by the A/B test outcomes and the drift monitor.
 */
import readline from 'node:readline';
import type { BlobStore } from '../storage/types';

export type CaptureKind = 'capture' | 'feedback';

/** One captured request as the gateway writes it. */
export interface CapturedRequest {
  requestId: string;
  time: string;
  endpoint: string;
  variant: string;
  modelVersion: string | null;
  /** The request's OIP v2 inputs, as sent. */
  inputs: unknown;
  /** The model's OIP v2 outputs (null when it failed). */
  outputs: unknown;
  latencyMs: number;
  status: number;
}

/**
 * Calls `visit` with every record of the endpoint's batches of `kind` in the hour folders from
 * `since` on (records themselves are not filtered by time: callers check `time`); returns how many
 * objects were read. Lines that are not JSON objects are skipped.
 */
export async function forEachCaptured(
  store: BlobStore,
  endpoint: string,
  kind: CaptureKind,
  since: Date,
  visit: (record: Record<string, unknown>) => void,
): Promise<number> {
  const prefix = `endpoints/${endpoint}/${kind}/`;
  const fromFolder = since.toISOString().slice(0, 13).replace('T', '/'); // yyyy-mm-dd/hh
  let objects = 0;
  for await (const info of store.list(prefix)) {
    const folder = info.key.slice(prefix.length, prefix.length + 13);
    if (folder < fromFolder || !info.key.endsWith('.ndjson')) continue;
    objects += 1;
    const lines = readline.createInterface({ input: await store.get(info.key), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      if (record !== null && typeof record === 'object' && !Array.isArray(record))
        visit(record as Record<string, unknown>);
    }
  }
  return objects;
}

/** The first value of the first OIP v2 output, e.g. the predicted class of a one-row request. */
export function firstPrediction(outputs: unknown): unknown {
  if (!Array.isArray(outputs) || outputs.length === 0) return undefined;
  const data = (outputs[0] as { data?: unknown }).data;
  if (!Array.isArray(data)) return undefined;
  const first: unknown = data[0];
  return Array.isArray(first) ? (first as unknown[])[0] : first;
}
