/**
 * Starting MinIO for the local stack and the tests: arguments, health, bucket creation.
 * Credentials come from the caller (env with dev defaults); MinIO listens on loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, waitFor } from '../../lib/ports';
import { requireTool } from '../../lib/tools';

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

/** A MinIO child process tied to this process (tests and benchmarks), on free loopback ports. */
export interface AttachedMinio {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  process: ChildProcess;
  /** Stops MinIO (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Starts MinIO with data in `dir`, creates `bucket`, and resolves once it serves requests. */
export async function startAttachedMinio(dir: string, bucket: string): Promise<AttachedMinio> {
  const settings: MinioSettings = {
    dataDir: path.join(dir, 'minio'),
    port: await freePort(),
    consolePort: await freePort(),
    accessKeyId: 'mlops-test',
    secretAccessKey: 'mlops-test-secret',
  };
  fs.mkdirSync(settings.dataDir, { recursive: true });
  const logFile = path.join(dir, 'minio.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(requireTool('minio'), minioArgs(settings), {
    env: minioEnv(settings),
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const endpoint = `http://127.0.0.1:${settings.port}`;
  if (!(await waitForMinioAndCreateBucket(endpoint, bucket, settings))) {
    child.kill('SIGKILL');
    throw new Error(`MinIO did not become healthy at ${endpoint}; log:\n${fs.readFileSync(logFile, 'utf8')}`);
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint,
    bucket,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    process: child,
    stop,
  };
}
