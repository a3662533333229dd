/**
 * The pieces `stackUp` can start: for each, the command line, the ports it binds (with the flag
 * that changes each), the `.mlops/stack.json` record, and the health probe.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StackFile } from '../../common/config/stack-file';
import { minioArgs, minioEnv, waitForMinioAndCreateBucket } from './minio';
import type { PieceName } from './stack-status';
import { stackPaths } from './stack-status';
import { probeTemporal, temporalCommand } from './stack-temporal';
import { requireTool } from './tools';

/** What the launches need to know; ports and names already defaulted and validated. */
export interface LaunchSettings {
  home: string;
  temporalPort: number;
  uiPort: number;
  namespace: string;
  minioPort: number;
  minioConsolePort: number;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface PortUse {
  port: number;
  flag: string;
  what: string;
}

/** One piece to start: its command, the ports it needs, its stack-file record and health probe. */
export interface Launch {
  piece: PieceName;
  ports: PortUse[];
  command: string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Creates what the piece needs before it starts (e.g. its data folder). */
  prepare?(): void;
  /** The stack-file entry for this piece once it has a pid. */
  record(pid: number, startedAt: string): Partial<StackFile>;
  /** `undefined` when healthy, else what is not ready yet. */
  probe(): Promise<string | undefined>;
}

/** How to start Temporal (`temporal server start-dev`) and tell when it is healthy. */
export function temporalLaunch(opts: LaunchSettings): Launch {
  const { dbFile, logDir } = stackPaths(opts.home);
  const address = `127.0.0.1:${opts.temporalPort}`;
  const uiUrl = `http://127.0.0.1:${opts.uiPort}`;
  const binary = requireTool('temporal');
  const command = temporalCommand({
    binary,
    dbFile,
    port: opts.temporalPort,
    uiPort: opts.uiPort,
    namespace: opts.namespace,
  });
  const logFile = path.join(logDir, 'temporal.log');
  return {
    piece: 'temporal',
    ports: [
      { port: opts.temporalPort, flag: '--temporal-port', what: 'Temporal gRPC' },
      { port: opts.uiPort, flag: '--ui-port', what: 'Temporal UI' },
    ],
    command,
    logFile,
    record: (pid, startedAt) => ({
      temporal: { pid, startedAt, logFile, command, address, namespace: opts.namespace, uiUrl, dbFile },
    }),
    probe: () => probeTemporal(address, opts.namespace, `${uiUrl}/`),
  };
}

/** How to start MinIO and tell when it is healthy (live, bucket created). */
export function minioLaunch(opts: LaunchSettings): Launch {
  const { minioDir, logDir } = stackPaths(opts.home);
  const settings = { dataDir: minioDir, port: opts.minioPort, consolePort: opts.minioConsolePort, ...opts.credentials };
  const endpoint = `http://127.0.0.1:${opts.minioPort}`;
  const consoleUrl = `http://127.0.0.1:${opts.minioConsolePort}`;
  const command = [requireTool('minio'), ...minioArgs(settings)];
  const logFile = path.join(logDir, 'minio.log');
  return {
    piece: 'minio',
    ports: [
      { port: opts.minioPort, flag: '--minio-port', what: 'MinIO S3 API' },
      { port: opts.minioConsolePort, flag: '--minio-console-port', what: 'MinIO console' },
    ],
    command,
    env: minioEnv(settings),
    prepare: () => fs.mkdirSync(minioDir, { recursive: true }),
    logFile,
    record: (pid, startedAt) => ({
      minio: {
        pid,
        startedAt,
        logFile,
        command,
        endpoint,
        consoleUrl,
        dataDir: minioDir,
        bucket: opts.bucket,
        accessKeyId: opts.credentials.accessKeyId,
      },
    }),
    probe: async () =>
      (await waitForMinioAndCreateBucket(endpoint, opts.bucket, opts.credentials, 0))
        ? undefined
        : `MinIO at ${endpoint} not live`,
  };
}
