/**
 * The two stores the registry and tracking suites run against: a folder under the OS temp dir
 * (`createBlobStore({ kind: 'file' })`) and the run's MinIO under a fresh prefix (`testS3Store()`).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { testS3Store } from '../support/worker';

export interface StoreBackend {
  name: string;
  /** A fresh, empty store. */
  make(): Promise<BlobStore>;
  /** Removes what `make` created on the local disk. */
  cleanup(): Promise<void>;
}

/** A fresh backend pair; call `cleanup` of each in `after`. */
export function storeBackends(): StoreBackend[] {
  const roots: string[] = [];
  return [
    {
      name: 'filesystem store',
      async make() {
        const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-reg-'));
        roots.push(root);
        return createBlobStore({ kind: 'file', root, uri: `file://${root}` });
      },
      async cleanup() {
        await Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true })));
      },
    },
    {
      name: 'S3 store on MinIO',
      make: async () => testS3Store(),
      cleanup: async () => undefined,
    },
  ];
}
