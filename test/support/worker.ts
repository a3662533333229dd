/** Runs an in-process worker against the shared test server for the duration of a callback. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { createRoutingBackend } from '../../activities/training';
import { parseStoreUri, type StoreConfig } from '../../lib/config';
import { REPO_ROOT } from '../../lib/tools';
import { testStack, workflowBundle } from './stack';

/** A store on the test run's MinIO under a fresh prefix, so suites never see each other's objects. */
export function testS3Store(prefix = `t-${randomUUID().slice(0, 8)}`): BlobStore {
  return createBlobStore(testS3Config(prefix));
}

/** The store settings of `testS3Store(prefix)`. */
export function testS3Config(prefix = `t-${randomUUID().slice(0, 8)}`): StoreConfig {
  const { minio } = testStack();
  return {
    kind: 's3',
    uri: `s3://${minio.bucket}/${prefix}`,
    bucket: minio.bucket,
    prefix,
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
  };
}

/** Activity dependencies for tests: `store`, a fresh cache folder, and s3:// sources on the test MinIO. */
export function testDeps(store: BlobStore = testS3Store()): ActivityDeps {
  const { minio, tmpDir } = testStack();
  const cacheDir = fs.mkdtempSync(path.join(tmpDir, 'cache-'));
  const s3 = {
    endpoint: minio.endpoint,
    region: 'us-east-1',
    accessKeyId: minio.accessKeyId,
    secretAccessKey: minio.secretAccessKey,
  };
  return {
    store,
    cacheDir,
    // like the worker's: local, and no Ray head (jobs asking for ray are refused)
    trainingBackend: createRoutingBackend({
      local: {
        store,
        workRoot: fs.mkdtempSync(path.join(tmpDir, 'jobs-')),
        python: path.join(REPO_ROOT, '.venv', 'bin', 'python'),
        killGraceMs: 2000,
      },
    }),
    openStore: (uri) => {
      const parsed = parseStoreUri(uri, process.cwd(), s3);
      if (typeof parsed === 'string') throw new Error(parsed);
      return createBlobStore(parsed);
    },
  };
}

/** A fresh task queue name, unique to one test. */
export function uniqueQueue(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

/** Creates a worker on `taskQueue` with the bundled workflows and activities from `deps`, runs `fn`, shuts down. */
export async function withWorker<T>(
  taskQueue: string,
  deps: ActivityDeps,
  fn: () => Promise<T>,
  { workflows = true }: { workflows?: boolean } = {},
): Promise<T> {
  const { env } = testStack();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    activities: createActivities(deps),
    maxHeartbeatThrottleInterval: '2s',
    ...(workflows ? { workflowBundle: await workflowBundle() } : {}),
  });
  return worker.runUntil(fn());
}
