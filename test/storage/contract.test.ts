/**
 * Runs the BlobStore contract against both backends: the filesystem store in temp folders, and
 * the S3 store against the run's MinIO (test/support/stack.ts), each store under a fresh prefix.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage/filesystem';
import { S3BlobStore } from '../../activities/storage/s3';
import { testStack } from '../support/stack';
import { blobStoreContract } from './blob-store-contract';

const PAGE_SIZE = 7;

const folders: string[] = [];
blobStoreContract(
  'filesystem',
  async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-blobstore-'));
    folders.push(root);
    return new FilesystemBlobStore(root, { pageSize: PAGE_SIZE });
  },
  async () => {
    await Promise.all(folders.map((folder) => fs.rm(folder, { recursive: true, force: true })));
  },
);

let client: S3Client | undefined;
const run = randomUUID().slice(0, 8);
let suite = 0;
blobStoreContract(
  's3',
  async () => {
    const { endpoint, bucket, accessKeyId, secretAccessKey } = testStack().minio;
    client ??= new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    return new S3BlobStore({ client, bucket, prefix: `contract/${run}/${++suite}`, pageSize: PAGE_SIZE });
  },
  async () => {
    client?.destroy();
  },
);
