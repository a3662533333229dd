/** Helpers for the data suites: both store backends, dataset folders with old mtimes, counting objects. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { testS3Store } from '../support/worker';

/** The stores every data suite runs against: a temp folder and the run's MinIO (fresh prefix each). */
export const backends: { name: string; make: () => BlobStore }[] = [
  { name: 'the filesystem store', make: () => new FilesystemBlobStore(tempDir('data-store-')) },
  { name: 'MinIO', make: () => testS3Store() },
];

const made: string[] = [];

/** A new temp folder, removed by `removeTempDirs`. */
export function tempDir(prefix = 'data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-${prefix}`));
  made.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made (call from a root `after`). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

after(removeTempDirs);

/** An hour ago: files older than the stat cache's racy window, as real data files are. */
export const AN_HOUR_AGO = new Date(Date.now() - 3600_000);

/** Writes `files` (relative path → content) under `dir` with mtimes an hour ago; returns `dir`. */
export function writeTree(dir: string, files: Record<string, string | Buffer>, mtime = AN_HOUR_AGO): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    fs.utimesSync(file, mtime, mtime);
  }
  return dir;
}

/** A fresh dataset folder holding `files`. */
export function datasetFolder(files: Record<string, string | Buffer>): string {
  return writeTree(tempDir('source-'), files);
}

/** Deterministic bytes of a given size, different per seed. */
export function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The keys under `prefix`. */
export async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

/** Asserts `promise` rejects with an error of `type` (a `DataError` or an `ApplicationFailure`) matching `message`. */
export async function rejectsWithType(promise: Promise<unknown>, type: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof Error, `expected an Error, got ${String(caught)}`);
  assert.equal((caught as Error & { type?: string }).type, type, `error type of: ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}
