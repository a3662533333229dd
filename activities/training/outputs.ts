/**
 * Uploading a finished job's files to the store, once: output files under `<prefix>/output/…`,
 * `job.log` under `<prefix>/logs/job.log`, the metric stream as `<prefix>/metrics.ndjson`, and last a
 * `<prefix>/result.json` marker (putIfAbsent). A call that finds the marker returns it without
 * uploading; an interrupted upload is simply redone (same keys, same bytes).
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../common/failures';
import { mapLimit } from '../storage/json';
import type { BlobStore } from '../storage/types';
import { readJson } from '../../lib/files';
import { redactingStream } from '../../lib/redact';
import type { JobPaths } from './job-files';
import type { JobResult } from './types';

/** Files uploaded at once. */
const UPLOAD_CONCURRENCY = 4;

/**
 * Uploads the job's outputs (unless already done) and returns the result recorded in the marker;
 * the log goes up with the worker's `secrets` redacted.
 */
export async function uploadOutputs(
  store: BlobStore,
  paths: JobPaths,
  prefix: string,
  secrets: readonly string[],
): Promise<JobResult> {
  const existing = await readResultMarker(store, prefix);
  if (existing) return existing;

  const uploads: [file: string, key: string][] = (await filesUnder(paths.output)).map((rel) => [
    path.join(paths.output, ...rel.split('/')),
    `${prefix}/output/${rel}`,
  ]);
  for (const [file, key] of [
    [paths.log, `${prefix}/logs/job.log`],
    [paths.metrics, `${prefix}/metrics.ndjson`],
  ] as const) {
    if (await exists(file)) uploads.push([file, key]);
  }
  // a few at a time: each write is durable (fsync'd, or an S3 request), so waiting on them in turn adds up
  await mapLimit(uploads, UPLOAD_CONCURRENCY, ([file, key]) =>
    store.put(key, file === paths.log ? createReadStream(file).pipe(redactingStream(secrets)) : createReadStream(file)),
  );
  const result: JobResult = {
    outputUri: `${store.uri.replace(/\/$/, '')}/${prefix}/output`,
    metrics: finalMetrics(await readJson<unknown>(path.join(paths.output, 'metrics.json'))),
  };
  return writeResultMarker(store, prefix, result);
}

/** The result recorded in `<prefix>/result.json`, or `undefined` when the job's outputs are not recorded yet. */
export async function readResultMarker(store: BlobStore, prefix: string): Promise<JobResult | undefined> {
  return readMarker(store, `${prefix}/result.json`);
}

/** Writes `<prefix>/result.json` unless present (the first writer wins) and returns what it holds. */
export async function writeResultMarker(store: BlobStore, prefix: string, result: JobResult): Promise<JobResult> {
  const key = `${prefix}/result.json`;
  const written = await store.putIfAbsent(key, JSON.stringify(result, null, 2), { contentType: 'application/json' });
  if (written.created) return result;
  return (await readMarker(store, key)) ?? result;
}

/** The numeric entries of `output/metrics.json` (anything else is ignored). */
export function finalMetrics(value: unknown): Record<string, number> {
  const metrics: Record<string, number> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return metrics;
  for (const [name, v] of Object.entries(value)) if (typeof v === 'number') metrics[name] = v;
  return metrics;
}

async function readMarker(store: BlobStore, key: string): Promise<JobResult | undefined> {
  try {
    return JSON.parse((await store.getBytes(key)).toString('utf8')) as JobResult;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Regular files under `dir`, as sorted slash-separated relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
