/**
 * Object store: the project's `BlobStore` (filesystem and S3) side by side with its anchors, the
 * same operations done directly with `node:fs` and `@aws-sdk/client-s3`. The ratio is the cost of
 * our layer (key checks, atomic rename, etags, streaming multipart uploads).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createBlobStore } from '../activities/storage';
import type { BlobStore } from '../activities/storage/types';
import { measure, pool, type Measurement } from './measure';
import { startBenchMinio } from './minio';

const SMALL_COUNT = 200;
const SMALL_SIZE = 4 * 1024;
const LARGE_MB = 64;
const CONCURRENCY = 8;

export interface Comparison {
  scenario: string;
  ours: Measurement;
  anchor: Measurement;
}

export async function runStoreBench(): Promise<Comparison[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-'));
  const minio = await startBenchMinio(dir);
  const { s3 } = minio;
  const s3Store = minio.storeAt('ours');
  const fsRoot = path.join(dir, 'fs-ours');
  const fsStore = createBlobStore({ kind: 'file', root: fsRoot, uri: `file://${fsRoot}` });
  const small = randomBytes(SMALL_SIZE);
  const large = randomBytes(LARGE_MB * 1024 * 1024);
  try {
    const results: Comparison[] = [];
    const smallRoundTrip = (store: BlobStore) => async (rep: number) =>
      pool(SMALL_COUNT, CONCURRENCY, async (i) => {
        await store.put(`small/${rep}/${i}`, small);
        await store.getBytes(`small/${rep}/${i}`);
      });
    const rawFsDir = path.join(dir, 'fs-raw');
    results.push({
      scenario: `${SMALL_COUNT} × 4 KiB put + get, filesystem, ${CONCURRENCY} at a time`,
      ours: await measure('FilesystemBlobStore', SMALL_COUNT, 'obj', smallRoundTrip(fsStore)),
      anchor: await measure('node:fs writeFile + readFile', SMALL_COUNT, 'obj', async (rep) => {
        fs.mkdirSync(path.join(rawFsDir, String(rep)), { recursive: true });
        await pool(SMALL_COUNT, CONCURRENCY, async (i) => {
          const file = path.join(rawFsDir, String(rep), String(i));
          await fs.promises.writeFile(file, small);
          await fs.promises.readFile(file);
        });
      }),
    });
    results.push({
      scenario: `${SMALL_COUNT} × 4 KiB put + get, filesystem, durable anchor, ${CONCURRENCY} at a time`,
      ours: await measure('FilesystemBlobStore', SMALL_COUNT, 'obj', smallRoundTrip(fsStore)),
      anchor: await measure('node:fs write temp + fsync + rename + readFile', SMALL_COUNT, 'obj', async (rep) => {
        fs.mkdirSync(path.join(rawFsDir, `durable-${rep}`), { recursive: true });
        await pool(SMALL_COUNT, CONCURRENCY, async (i) => {
          const file = path.join(rawFsDir, `durable-${rep}`, String(i));
          const handle = await fs.promises.open(`${file}.tmp`, 'w');
          await handle.writeFile(small);
          await handle.sync();
          await handle.close();
          await fs.promises.rename(`${file}.tmp`, file);
          await fs.promises.readFile(file);
        });
      }),
    });
    results.push({
      scenario: `${SMALL_COUNT} × 4 KiB put + get, MinIO, ${CONCURRENCY} at a time`,
      ours: await measure('S3BlobStore', SMALL_COUNT, 'obj', smallRoundTrip(s3Store)),
      anchor: await measure('S3Client PutObject + GetObject', SMALL_COUNT, 'obj', async (rep) =>
        pool(SMALL_COUNT, CONCURRENCY, async (i) => {
          const Key = `raw/small/${rep}/${i}`;
          await s3.send(new PutObjectCommand({ Bucket: 'bench', Key, Body: small }));
          const got = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key }));
          await got.Body?.transformToByteArray();
        }),
      ),
    });
    results.push({
      scenario: `one ${LARGE_MB} MiB object put + streamed get, MinIO`,
      ours: await measure(
        'S3BlobStore (streamed multipart put)',
        LARGE_MB * 2,
        'MB',
        async (rep) => {
          await s3Store.put(`large/${rep}`, Readable.from(chunks(large)));
          for await (const _ of await s3Store.get(`large/${rep}`));
        },
        3,
      ),
      anchor: await measure(
        'S3Client PutObject (whole buffer) + GetObject',
        LARGE_MB * 2,
        'MB',
        async (rep) => {
          const Key = `raw/large/${rep}`;
          await s3.send(new PutObjectCommand({ Bucket: 'bench', Key, Body: large }));
          const got = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key }));
          for await (const _ of got.Body as Readable);
        },
        3,
      ),
    });
    return results;
  } finally {
    await minio.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function* chunks(buffer: Buffer, size = 1024 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}
