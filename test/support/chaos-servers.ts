/**
 * Servers a fault test owns, so it can stop them and start them again on the same port and data:
 * a Temporal dev server on its own SQLite file, and a MinIO on its own data folder. Unlike the
 * shared stack (./stack.ts) these are plain child processes: `kill()` really ends the process
 * (SIGKILL by default, or SIGTERM), `start()` starts a new one with the same arguments.
 * Nothing downloads: the binaries come from requireTool (TEMPORAL_CLI_PATH / MINIO_PATH / .tools/bin / PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ML_SEARCH_ATTRIBUTES, searchAttributeCliArgs } from '../../common/search-attributes';
import { minioArgs, minioEnv, waitForMinioAndCreateBucket, type MinioSettings } from '../../client/dev/minio';
import { canBind, freePort, waitFor } from '../../lib/ports';
import { requireTool } from '../../lib/tools';

/** A child process that can be killed and started again with the same command line. */
abstract class RestartableProcess {
  protected child: ChildProcess | undefined;
  /** How many times the process was started. */
  starts = 0;

  constructor(
    readonly name: string,
    readonly logFile: string,
  ) {}

  protected abstract command(): { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Resolves once the process serves requests. */
  protected abstract ready(): Promise<boolean>;

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it is ready (fails with its log after `timeoutMs`). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { file, args, env } = this.command();
    fs.appendFileSync(this.logFile, `--- ${new Date().toISOString()} start ${this.starts + 1}\n`);
    const out = fs.openSync(this.logFile, 'a');
    const child = spawn(file, args, { env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    this.starts += 1;
    // an early exit (a busy port, a locked database) ends the wait at once
    const ok = await waitFor(async () => !this.running || (await this.ready()), timeoutMs);
    if (!ok || !this.running) {
      child.kill('SIGKILL');
      throw new Error(`${this.name} did not become ready; log:\n${this.log().slice(-4000)}`);
    }
  }

  /** Ends the process with `signal` and waits until it has exited (SIGKILL after 10 s of SIGTERM). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.running) return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 10_000);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }

  /** The process's output so far (all starts). */
  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

/** `temporal server start-dev` on a SQLite file, loopback, headless, with the project's search attributes. */
export class RestartableTemporal extends RestartableProcess {
  readonly address: string;
  readonly namespace = 'default';

  constructor(
    readonly dbFile: string,
    readonly port: number,
    logFile: string,
  ) {
    super('temporal dev server', logFile);
    this.address = `127.0.0.1:${port}`;
  }

  /** A dev server with its database under `dir`, on a free port (not started). */
  static async create(dir: string): Promise<RestartableTemporal> {
    fs.mkdirSync(dir, { recursive: true });
    return new RestartableTemporal(path.join(dir, 'temporal.db'), await freePort(), path.join(dir, 'temporal.log'));
  }

  protected command() {
    return {
      file: requireTool('temporal'),
      args: [
        'server',
        'start-dev',
        '--db-filename',
        this.dbFile,
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--headless',
        ...searchAttributeCliArgs(),
        '--log-level',
        'error',
      ],
    };
  }

  protected async ready(): Promise<boolean> {
    return (await this.missingSearchAttributes().catch(() => undefined)) !== undefined;
  }

  /** The project's search attributes the server does not know (throws when it does not answer). */
  async missingSearchAttributes(): Promise<string[]> {
    const connection = await Connection.connect({ address: this.address, connectTimeout: '1s' });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: this.namespace });
      const present = new Set(Object.keys(listed.customAttributes ?? {}));
      return ML_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !present.has(name));
    } finally {
      await connection.close();
    }
  }

  /** Kills the server, then waits until its port is free again (so a restart can bind it). */
  override async kill(signal: NodeJS.Signals = 'SIGKILL') {
    const result = await super.kill(signal);
    await waitFor(() => canBind(this.port), 10_000);
    return result;
  }
}

/** A MinIO server on a fixed port and data folder, with `bucket` created on first start. */
export class RestartableMinio extends RestartableProcess {
  readonly endpoint: string;
  readonly accessKeyId = 'mlops-chaos';
  readonly secretAccessKey = 'mlops-chaos-secret';

  constructor(
    readonly settings: Omit<MinioSettings, 'accessKeyId' | 'secretAccessKey'>,
    readonly bucket: string,
    logFile: string,
  ) {
    super('minio', logFile);
    this.endpoint = `http://127.0.0.1:${settings.port}`;
  }

  /** A MinIO with its data under `dir`, on free ports (not started). */
  static async create(dir: string, bucket: string): Promise<RestartableMinio> {
    const dataDir = path.join(dir, 'minio-data');
    fs.mkdirSync(dataDir, { recursive: true });
    const settings = { dataDir, port: await freePort(), consolePort: await freePort() };
    return new RestartableMinio(settings, bucket, path.join(dir, 'minio.log'));
  }

  private get fullSettings(): MinioSettings {
    return { ...this.settings, accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey };
  }

  protected command() {
    return { file: requireTool('minio'), args: minioArgs(this.fullSettings), env: minioEnv(this.fullSettings) };
  }

  protected ready(): Promise<boolean> {
    return waitForMinioAndCreateBucket(this.endpoint, this.bucket, this.fullSettings, 1000);
  }

  override async kill(signal: NodeJS.Signals = 'SIGKILL') {
    const result = await super.kill(signal);
    await waitFor(() => canBind(this.settings.port), 10_000);
    return result;
  }

  /** The environment a CLI or worker process needs to use `s3://<bucket>/<prefix>` on this MinIO. */
  storeEnv(prefix: string): NodeJS.ProcessEnv {
    return {
      MLOPS_STORE: `s3://${this.bucket}/${prefix}`,
      MLOPS_S3_ENDPOINT: this.endpoint,
      AWS_ACCESS_KEY_ID: this.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.secretAccessKey,
    };
  }
}

/** A `mlops` process's stderr collected as it comes (to assert on, and to show when a test fails). */
export function collectOutput(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

/** The attempt of each ActivityTaskStarted event of `activityType` in a run's history (attempt > 1: retried). */
export async function startedAttempts(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const EventType = temporal.api.enums.v1.EventType;
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  const attempts: number[] = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const attrs = e.activityTaskStartedEventAttributes;
      if (scheduled.get(String(attrs?.scheduledEventId)) === activityType) attempts.push(attrs?.attempt ?? 1);
    }
  }
  return attempts;
}
