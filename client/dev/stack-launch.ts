/**
 * The pieces `stackUp` can start: for each, the command line, the ports it binds (with the flag
 * that changes each), the `.mlops/stack.json` record, and the health probe.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StackFile } from '../../lib/config/stack-file';
import { ensureAdminToken, gatewayPaths } from '../../gateway/token';
import { minioArgs, minioEnv, waitForMinioAndCreateBucket } from './minio';
import type { PieceName } from './stack-status';
import { stackPaths } from './stack-status';
import { probeTemporal, temporalCommand } from './stack-temporal';
import { REPO_ROOT, requireTool } from '../../lib/tools';

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
  gatewayPort: number;
  gatewayAdminPort: number;
  uiCodecEndpoint?: string;
  /** The codec token inside `uiCodecEndpoint`, if any (kept out of logs). */
  codecToken?: string;
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
  /** Values in `command` kept out of the log (`spawnDetached`'s `secrets`). */
  secrets?: readonly string[];
  /** Working directory. @default the home folder */
  cwd?: string;
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
    uiCodecEndpoint: opts.uiCodecEndpoint,
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
    ...(opts.codecToken ? { secrets: [opts.codecToken] } : {}),
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

/**
 * How to start the inference gateway (`mlops gateway`, this same CLI) and tell when it is ready.
 * It runs in the caller's working directory with the caller's environment, so it loads the same
 * configuration (store, relative paths) as the `mlops dev up` that starts it.
 */
export function gatewayLaunch(opts: LaunchSettings): Launch {
  const { logDir } = stackPaths(opts.home);
  const url = `http://127.0.0.1:${opts.gatewayPort}`;
  const adminUrl = `http://127.0.0.1:${opts.gatewayAdminPort}`;
  const command = [
    process.execPath,
    path.join(REPO_ROOT, 'bin', 'mlops.js'),
    'gateway',
    ...['--host', '127.0.0.1', '--port', String(opts.gatewayPort), '--admin-port', String(opts.gatewayAdminPort)],
  ];
  const logFile = path.join(logDir, 'gateway.log');
  const { tokenFile } = gatewayPaths(opts.home);
  return {
    piece: 'gateway',
    ports: [
      { port: opts.gatewayPort, flag: '--gateway-port', what: 'gateway API' },
      { port: opts.gatewayAdminPort, flag: '--gateway-admin-port', what: 'gateway admin API' },
    ],
    command,
    env: { ...process.env, MLOPS_HOME: path.resolve(opts.home) },
    cwd: process.cwd(),
    // the token file exists before the stack records the gateway, so whoever reads the record can authenticate
    prepare: () => void ensureAdminToken(tokenFile),
    logFile,
    record: (pid, startedAt) => ({ gateway: { pid, startedAt, logFile, command, url, adminUrl, tokenFile } }),
    probe: async () => {
      try {
        const res = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        return res.status === 200 ? undefined : `gateway at ${url} answered ${res.status}`;
      } catch (err) {
        return `gateway at ${url} not answering (${(err as Error).message})`;
      }
    },
  };
}

/**
 * How to start a worker (`mlops worker`, this same CLI) on the project's task queues, and tell when
 * it polls. Like the gateway it runs in the caller's working directory and environment, so it
 * loads the same configuration, and finds the stack's Temporal and gateway through stack.json.
 */
export function workerLaunch(opts: LaunchSettings): Launch {
  const { logDir } = stackPaths(opts.home);
  const command = [process.execPath, path.join(REPO_ROOT, 'bin', 'mlops.js'), 'worker'];
  const logFile = path.join(logDir, 'worker.log');
  return {
    piece: 'worker',
    ports: [],
    command,
    env: { ...process.env, MLOPS_HOME: path.resolve(opts.home) },
    cwd: process.cwd(),
    logFile,
    record: (pid, startedAt) => ({ worker: { pid, startedAt, logFile, command } }),
    probe: () => {
      // the log of this start: after the last line spawnDetached wrote before it
      const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      const current = text.slice(text.lastIndexOf('\n--- ') + 1);
      return Promise.resolve(/worker polling/.test(current) ? undefined : 'worker not polling yet');
    },
  };
}
