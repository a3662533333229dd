/**
 * What the local stack looks like right now: each piece recorded in `.mlops/stack.json`, and
 * whether its process is still the one `mlops dev up` started (pid alive and same command line).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StackFile } from '../../lib/config/stack-file';
import { readStackFile, stackFilePath, writeStackFile } from '../../lib/config/stack-file';
import { processCommandLine, isProcessRunning } from './processes';

export type PieceName = 'temporal' | 'minio' | 'gateway' | 'worker';
export type PieceState = 'up' | 'down';

export interface TemporalStatus {
  state: PieceState;
  /** gRPC host:port; null when no Temporal is recorded. */
  address: string | null;
  namespace: string | null;
  uiUrl: string | null;
  pid: number | null;
  startedAt: string | null;
  logFile: string | null;
  dbFile: string;
}

export interface MinioStatus {
  state: PieceState;
  /** S3 API host:port. */
  address: string;
  endpoint: string;
  consoleUrl: string;
  bucket: string;
  accessKeyId: string;
  dataDir: string;
  pid: number;
  startedAt: string;
  logFile: string;
}

export interface GatewayStatus {
  state: PieceState;
  /** Public OIP v2 URL, e.g. http://127.0.0.1:8180. */
  url: string;
  /** Admin API URL (loopback). */
  adminUrl: string;
  /** Where the admin token is kept (unless MLOPS_GATEWAY_TOKEN was set for it). */
  tokenFile: string;
  pid: number;
  startedAt: string;
  logFile: string;
}

export interface WorkerStatus {
  state: PieceState;
  pid: number;
  startedAt: string;
  logFile: string;
}

export interface StackStatus {
  home: string;
  temporal: TemporalStatus;
  /** null when MinIO is not part of the recorded stack. */
  minio: MinioStatus | null;
  /** null when no gateway is recorded. */
  gateway: GatewayStatus | null;
  /** null when no worker is recorded (`mlops dev up --worker` starts one). */
  worker: WorkerStatus | null;
}

/** Where the stack keeps its data and logs under the home folder. */
export function stackPaths(home: string): { dbFile: string; minioDir: string; logDir: string } {
  return {
    dbFile: path.join(home, 'temporal.db'),
    minioDir: path.join(home, 'minio'),
    logDir: path.join(home, 'logs'),
  };
}

type TemporalRecord = NonNullable<StackFile['temporal']>;
type MinioRecord = NonNullable<StackFile['minio']>;
type GatewayRecord = NonNullable<StackFile['gateway']>;
type WorkerRecord = NonNullable<StackFile['worker']>;

/** Whether the recorded Temporal process is alive and still ours. */
export function temporalRunning(record: TemporalRecord): boolean {
  return recordedProcessRunning(record, 'temporal', record.dbFile);
}

/** Whether the recorded MinIO process is alive and still ours. */
export function minioRunning(record: MinioRecord): boolean {
  return recordedProcessRunning(record, 'minio', record.dataDir);
}

/** Whether the recorded gateway process is alive and still ours (it is always recorded with its command). */
export function gatewayRunning(record: GatewayRecord): boolean {
  return !!record.command && isProcessRunning(record.pid, record.command);
}

/** Whether the recorded worker process is alive and still ours. */
export function workerRunning(record: WorkerRecord): boolean {
  return !!record.command && isProcessRunning(record.pid, record.command);
}

/** The status of a worker record, or null when there is none. */
export function workerStatus(record: WorkerRecord | undefined): WorkerStatus | null {
  if (!record) return null;
  return {
    state: workerRunning(record) ? 'up' : 'down',
    pid: record.pid,
    startedAt: record.startedAt,
    logFile: record.logFile,
  };
}

/** Reads the stack file and checks each recorded process; changes nothing. */
export function stackStatus(home: string): StackStatus {
  const stack = readStackFile(home);
  return {
    home,
    temporal: temporalStatus(home, stack.temporal),
    minio: minioStatus(stack.minio),
    gateway: gatewayStatus(stack.gateway),
    worker: workerStatus(stack.worker),
  };
}

/** The status of a Temporal record (or of none). */
export function temporalStatus(home: string, record: TemporalRecord | undefined): TemporalStatus {
  if (!record) {
    const none = { address: null, namespace: null, uiUrl: null, pid: null, startedAt: null, logFile: null };
    return { state: 'down', ...none, dbFile: stackPaths(home).dbFile };
  }
  return {
    state: temporalRunning(record) ? 'up' : 'down',
    address: record.address,
    namespace: record.namespace,
    uiUrl: record.uiUrl,
    pid: record.pid,
    startedAt: record.startedAt,
    logFile: record.logFile,
    dbFile: record.dbFile,
  };
}

/** The status of a MinIO record, or null when there is none. */
export function minioStatus(record: MinioRecord | undefined): MinioStatus | null {
  if (!record) return null;
  return {
    state: minioRunning(record) ? 'up' : 'down',
    address: hostOf(record.endpoint),
    endpoint: record.endpoint,
    consoleUrl: record.consoleUrl,
    bucket: record.bucket,
    accessKeyId: record.accessKeyId,
    dataDir: record.dataDir,
    pid: record.pid,
    startedAt: record.startedAt,
    logFile: record.logFile,
  };
}

/** The status of a gateway record, or null when there is none. */
export function gatewayStatus(record: GatewayRecord | undefined): GatewayStatus | null {
  if (!record) return null;
  return {
    state: gatewayRunning(record) ? 'up' : 'down',
    url: record.url,
    adminUrl: record.adminUrl,
    tokenFile: record.tokenFile,
    pid: record.pid,
    startedAt: record.startedAt,
    logFile: record.logFile,
  };
}

/** Writes the stack file with only the pieces present; removes it when none is left. */
export function saveStack(home: string, stack: StackFile): void {
  const pruned: StackFile = {};
  if (stack.temporal) pruned.temporal = stack.temporal;
  if (stack.minio) pruned.minio = stack.minio;
  if (stack.gateway) pruned.gateway = stack.gateway;
  if (stack.worker) pruned.worker = stack.worker;
  if (!pruned.temporal && !pruned.minio && !pruned.gateway && !pruned.worker)
    fs.rmSync(stackFilePath(home), { force: true });
  else writeStackFile(home, pruned);
}

function recordedProcessRunning(
  record: { pid: number; command?: string[] },
  binaryName: string,
  marker: string,
): boolean {
  if (record.command) return isProcessRunning(record.pid, record.command);
  // a record without its command line: accept only the right binary working on the right data
  const argv = processCommandLine(record.pid);
  return !!argv && path.basename(argv[0]?.split(' ')[0] ?? '') === binaryName && argv.join(' ').includes(marker);
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
