/**
 * Starting MinIO for the local stack and the tests: arguments, health, bucket creation.
 * Credentials come from the caller (env with dev defaults); MinIO listens on loopback only.
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { waitFor } from './ports';

export interface MinioSettings {
  dataDir: string;
  port: number;
  consolePort: number;
  accessKeyId: string;
  secretAccessKey: string;
}

export function minioArgs(s: MinioSettings): string[] {
  return [
    'server',
    s.dataDir,
    '--address',
    `127.0.0.1:${s.port}`,
    '--console-address',
    `127.0.0.1:${s.consolePort}`,
    '--quiet',
  ];
}

export function minioEnv(s: MinioSettings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MINIO_ROOT_USER: s.accessKeyId,
    MINIO_ROOT_PASSWORD: s.secretAccessKey,
    MINIO_BROWSER: 'on',
    MINIO_UPDATE: 'off',
    MINIO_CALLHOME_ENABLE: 'off',
  };
}

/** Whether MinIO at `endpoint` answers its liveness probe. */
export async function minioLive(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Waits for MinIO to be live, then creates `bucket` if it does not exist. */
export async function waitForMinioAndCreateBucket(
  endpoint: string,
  bucket: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  timeoutMs = 30_000,
): Promise<boolean> {
  if (!(await waitFor(() => minioLive(endpoint), timeoutMs))) return false;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  try {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    return true;
  } finally {
    s3.destroy();
  }
}
