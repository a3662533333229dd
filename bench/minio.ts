/**
 * A MinIO for a bench section: started by the bench in `dir` (bucket `bench`), with a raw
 * S3Client for the anchors and the project's S3 store at any key prefix for ours.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createBlobStore } from '../activities/storage';
import type { BlobStore } from '../activities/storage/types';
import { startAttachedMinio } from '../client/dev/minio';

export const BENCH_BUCKET = 'bench';

export interface BenchMinio {
  /** The raw client the anchors send PutObject/GetObject with. */
  s3: S3Client;
  /** The S3 store at `s3://bench/<prefix>`. */
  storeAt: (prefix: string) => BlobStore;
  /** Closes the client and stops MinIO. */
  stop: () => Promise<void>;
}

export async function startBenchMinio(dir: string): Promise<BenchMinio> {
  const minio = await startAttachedMinio(dir, BENCH_BUCKET);
  const credentials = { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
  const connection = { endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true, credentials };
  const s3 = new S3Client(connection);
  return {
    s3,
    storeAt: (prefix) =>
      createBlobStore({
        kind: 's3',
        uri: `s3://${BENCH_BUCKET}/${prefix}`,
        bucket: BENCH_BUCKET,
        prefix,
        ...connection,
      }),
    stop: async () => {
      s3.destroy();
      await minio.stop();
    },
  };
}
