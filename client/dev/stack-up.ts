/**
 * `stackUp`: starts the pieces of the local stack that are not already running, in the
 * background, records them in `.mlops/stack.json` as soon as they are spawned (so `down` can
 * always stop them), and waits until each is healthy. A piece that fails is stopped again.
 */
import fs from 'node:fs';
import type { StackFile } from '../../lib/config/stack-file';
import { readStackFile } from '../../lib/config/stack-file';
import { parseStoreUri } from '../../lib/config/schema';
import { UserError } from '../../common/errors';
import { codecTokenFile, ensureCodecToken } from '../../lib/codec/token';
import { canBind, freePort, isListening } from '../../lib/ports';
import { isProcessRunning, logTail, spawnDetached, stopProcessGroup } from './processes';
import type { GatewayStatus, MinioStatus, PieceName, TemporalStatus, WorkerStatus } from './stack-status';
import type { Launch, PortUse } from './stack-launch';
import { gatewayLaunch, minioLaunch, temporalLaunch, workerLaunch } from './stack-launch';
import {
  gatewayRunning,
  gatewayStatus,
  minioRunning,
  minioStatus,
  saveStack,
  temporalRunning,
  temporalStatus,
  workerRunning,
  workerStatus,
} from './stack-status';

export interface StackUpOptions {
  home: string;
  /** `s3` adds MinIO to the stack. @default 'file' */
  store?: 'file' | 's3';
  /** @default 7233 */
  temporalPort?: number;
  /** @default 8233 */
  uiPort?: number;
  /** @default 'default' */
  namespace?: string;
  /** @default 9000 */
  minioPort?: number;
  /** @default 9001 */
  minioConsolePort?: number;
  /** @default 'mlops' */
  bucket?: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The inference gateway's public port; when not given and 8180 is taken, a free one. @default 8180 */
  gatewayPort?: number;
  /** The gateway's admin port (loopback); when not given and 8181 is taken, a free one. @default 8181 */
  gatewayAdminPort?: number;
  /** The codec server the Temporal UI calls for encrypted payloads, e.g. http://127.0.0.1:8888. */
  uiCodecEndpoint?: string;
  /**
   * The codec server's token (MLOPS_CODEC_TOKEN, else its file, created if absent). The dev
   * server's UI cannot send an Authorization header, so a `uiCodecEndpoint` without a path gets
   * the token as its path. @default the token file under `home`
   */
  codecToken?: { token?: string; tokenFile: string };
  /** Also start a worker on the project's task queues (after the rest is healthy). @default false */
  worker?: boolean;
  /** How long each piece may take to become healthy. @default 60_000 */
  timeoutMs?: number;
  /** Called when a piece is about to be started (for progress output). */
  onStart?: (piece: PieceName) => void;
}

/** Defaults of `stackUp`'s options (the ports of `temporal server start-dev` and MinIO). */
export const STACK_DEFAULTS = {
  store: 'file',
  temporalPort: 7233,
  uiPort: 8233,
  namespace: 'default',
  minioPort: 9000,
  minioConsolePort: 9001,
  bucket: 'mlops',
  gatewayPort: 8180,
  gatewayAdminPort: 8181,
  worker: false,
  timeoutMs: 60_000,
} as const;

type Settings = Required<Omit<StackUpOptions, 'onStart' | 'uiCodecEndpoint' | 'codecToken'>> &
  Pick<StackUpOptions, 'onStart' | 'uiCodecEndpoint'> & { codecToken?: string };

export type UpOutcome = 'started' | 'already-running';

export interface StackUpResult {
  home: string;
  temporal: TemporalStatus & { outcome: UpOutcome };
  minio: (MinioStatus & { outcome: UpOutcome }) | null;
  gateway: GatewayStatus & { outcome: UpOutcome };
  /** null unless a worker was asked for (or is recorded from an earlier `--worker`). */
  worker: (WorkerStatus & { outcome: UpOutcome }) | null;
  /** Things the user should know, e.g. options ignored because a piece was already running. */
  notes: string[];
}

/** Starts what is missing of the local stack and waits for it; reports pieces already running. */
export async function stackUp(options: StackUpOptions): Promise<StackUpResult> {
  const { home, credentials } = options;
  const { codecToken: codecTokenSource, ...given } = options;
  const opts: Settings = { ...STACK_DEFAULTS, ...definedOnly(given), home, credentials };
  const before = readStackFile(opts.home);
  const temporalUp = !!before.temporal && temporalRunning(before.temporal);
  const minioUp = !!before.minio && minioRunning(before.minio);
  const gatewayUp = !!before.gateway && gatewayRunning(before.gateway);
  const workerUp = !!before.worker && workerRunning(before.worker);
  if (!gatewayUp) await pickGatewayPorts(options, opts);
  validate(opts);
  if (!temporalUp) addCodecToken(opts, codecTokenSource ?? { tokenFile: codecTokenFile(opts.home) });
  const launches: Launch[] = [];
  if (!temporalUp) launches.push(temporalLaunch(opts));
  if (opts.store === 's3' && !minioUp) launches.push(minioLaunch(opts));
  // last: its configuration falls back to the MinIO recorded just before it
  const gatewayStart = gatewayUp ? undefined : gatewayLaunch(opts);
  if (gatewayStart) launches.push(gatewayStart);

  await assertPortsFree(launches.flatMap((l) => l.ports));
  // stale records (process gone) of pieces not restarted now would mislead the config fallback
  updateStack(opts.home, (s) => ({
    temporal: temporalUp ? s.temporal : undefined,
    minio: minioUp ? s.minio : undefined,
    gateway: gatewayUp ? s.gateway : undefined,
    worker: workerUp ? s.worker : undefined,
  }));

  // Temporal and MinIO together, then the gateway: it reads its state from the store when it starts,
  // so it must not race MinIO's start (a loaded machine lost that race)
  const [storeFirst, afterStore] = [
    launches.filter((l) => l !== gatewayStart),
    launches.filter((l) => l === gatewayStart),
  ];
  const failures = await Promise.all(storeFirst.map((launch) => startAndWait(opts, launch)));
  if (!failures.some((f) => f !== undefined))
    failures.push(...(await Promise.all(afterStore.map((launch) => startAndWait(opts, launch)))));
  const failed = failures.filter((f): f is string => f !== undefined);
  if (failed.length > 0) throw new UserError(failed.join('\n\n'), 1);
  // the worker last: it connects to the Temporal and gateway just recorded
  if (opts.worker && !workerUp) {
    const launch = workerLaunch(opts);
    launches.push(launch);
    const problem = await startAndWait(opts, launch);
    if (problem) throw new UserError(problem, 1);
  }

  const after = readStackFile(opts.home);
  const outcome = (piece: PieceName): UpOutcome =>
    launches.some((l) => l.piece === piece) ? 'started' : 'already-running';
  const minio = minioStatus(after.minio);
  const gateway = gatewayStatus(after.gateway);
  if (!gateway) throw new Error(`${opts.home}: the gateway record vanished from stack.json`);
  return {
    home: opts.home,
    temporal: { ...temporalStatus(opts.home, after.temporal), outcome: outcome('temporal') },
    minio: minio && { ...minio, outcome: outcome('minio') },
    gateway: { ...gateway, outcome: outcome('gateway') },
    worker: after.worker ? { ...workerStatus(after.worker)!, outcome: outcome('worker') } : null,
    notes: [
      ...ignoredOptionNotes(options, after, temporalUp, minioUp, gatewayUp),
      ...(opts.codecToken
        ? [
            `the UI calls the codec server with its token in the endpoint path (from ${codecTokenSource?.token ? 'MLOPS_CODEC_TOKEN' : (codecTokenSource?.tokenFile ?? codecTokenFile(opts.home))}); start it with \`mlops codec-server\` and the same MLOPS_HOME`,
          ]
        : []),
    ],
  };
}

/**
 * Puts the codec token into the UI's codec endpoint when it has no path of its own
 * (`http://127.0.0.1:8888` → `http://127.0.0.1:8888/<token>`): the codec server accepts the
 * token there, and the dev server's UI has no way to send it as a header.
 */
function addCodecToken(opts: Settings, source: { token?: string; tokenFile: string }): void {
  const endpoint = opts.uiCodecEndpoint;
  if (endpoint === undefined) return;
  const url = new URL(endpoint);
  if (url.pathname !== '/' && url.pathname !== '') return;
  const token = ensureCodecToken(source.tokenFile, source.token);
  opts.codecToken = token;
  opts.uiCodecEndpoint = `${url.origin}/${token}`;
}

/**
 * The gateway's ports: as given, else the defaults, else (default taken) free ones, so a second
 * project's stack or another program on 8180 does not stop `dev up`.
 */
async function pickGatewayPorts(given: StackUpOptions, opts: Settings): Promise<void> {
  const taken = new Set([opts.temporalPort, opts.uiPort, opts.minioPort, opts.minioConsolePort]);
  const pick = async (explicit: number | undefined, fallback: number): Promise<number> => {
    if (explicit !== undefined) return explicit;
    if (!taken.has(fallback) && !(await isListening(fallback)) && (await canBind(fallback))) return fallback;
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    return port;
  };
  opts.gatewayPort = await pick(given.gatewayPort, STACK_DEFAULTS.gatewayPort);
  taken.add(opts.gatewayPort);
  opts.gatewayAdminPort = await pick(given.gatewayAdminPort, STACK_DEFAULTS.gatewayAdminPort);
}

function validate(opts: Settings): void {
  const ports: [number, string][] = [
    [opts.temporalPort, '--temporal-port'],
    [opts.uiPort, '--ui-port'],
    [opts.gatewayPort, '--gateway-port'],
    [opts.gatewayAdminPort, '--gateway-admin-port'],
  ];
  if (opts.store === 's3') {
    ports.push([opts.minioPort, '--minio-port'], [opts.minioConsolePort, '--minio-console-port']);
  }
  for (const [i, [port, flag]] of ports.entries()) {
    const clash = ports.slice(i + 1).find(([other]) => other === port);
    if (clash) throw new UserError(`${flag} and ${clash[1]} are both ${port}: each needs its own port`, 2);
  }
  if (opts.uiCodecEndpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(opts.uiCodecEndpoint)) {
    throw new UserError(
      `--ui-codec-endpoint: an http(s) URL, e.g. http://127.0.0.1:8888, got ${opts.uiCodecEndpoint}`,
      2,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,253}$/.test(opts.namespace)) {
    throw new UserError(`--namespace: ${JSON.stringify(opts.namespace)} is not a valid namespace name`, 2);
  }
  if (opts.store !== 's3') return;
  const bucket = parseStoreUri(`s3://${opts.bucket}`, opts.home, { region: 'us-east-1' });
  if (typeof bucket === 'string' || bucket.kind !== 's3' || bucket.prefix !== '') {
    throw new UserError(`--bucket: ${typeof bucket === 'string' ? bucket : 'must be a bare bucket name'}`, 2);
  }
  // MinIO refuses to start with shorter root credentials
  if (opts.credentials.accessKeyId.length < 3 || opts.credentials.secretAccessKey.length < 8) {
    throw new UserError(
      'AWS_ACCESS_KEY_ID must have at least 3 characters and AWS_SECRET_ACCESS_KEY at least 8 for MinIO',
      2,
    );
  }
}

async function assertPortsFree(ports: PortUse[]): Promise<void> {
  for (const use of ports) {
    if ((await isListening(use.port)) || !(await canBind(use.port))) {
      throw new UserError(
        `port ${use.port} (${use.what}) is already in use on 127.0.0.1: choose another with ${use.flag} <port>, or stop what listens there`,
        1,
      );
    }
  }
}

/** Spawns one piece, records it, waits for health; on failure stops it and returns why. */
async function startAndWait(opts: Settings, launch: Launch): Promise<string | undefined> {
  fs.mkdirSync(opts.home, { recursive: true });
  launch.prepare?.();
  opts.onStart?.(launch.piece);
  const started = spawnDetached({
    command: launch.command,
    logFile: launch.logFile,
    cwd: launch.cwd ?? opts.home,
    env: launch.env,
    ...(launch.secrets ? { secrets: launch.secrets } : {}),
  });
  updateStack(opts.home, (s) => ({ ...s, ...launch.record(started.pid, new Date().toISOString()) }));
  const timeoutMs = opts.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  let problem: string | undefined = 'not started';
  for (;;) {
    if (!isProcessRunning(started.pid, launch.command)) {
      problem = 'the process exited';
      break;
    }
    problem = await launch.probe().catch((err: Error) => err.message);
    if (problem === undefined) return undefined;
    if (Date.now() >= deadline) {
      problem = `not healthy after ${Math.round(timeoutMs / 1000)} s: ${problem}`;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stopProcessGroup(started.pid, 5_000).catch(() => undefined);
  updateStack(opts.home, (s) => ({ ...s, [launch.piece]: undefined }));
  const tail = logTail(launch.logFile, started.logOffset);
  return `${launch.piece} failed to start (${problem}); stopped it.\n--- ${launch.logFile} ---\n${tail || '(empty)'}`;
}

/** Notes for options given explicitly that a piece already running does not match. */
function ignoredOptionNotes(
  opts: StackUpOptions,
  stack: StackFile,
  temporalUp: boolean,
  minioUp: boolean,
  gatewayUp: boolean,
): string[] {
  const notes: string[] = [];
  const differs = (pairs: [unknown, string, string][]) =>
    pairs.filter(([given, wanted, actual]) => given !== undefined && wanted !== actual).map(([, wanted]) => wanted);
  const t = stack.temporal;
  if (temporalUp && t) {
    const ignored = differs([
      [opts.temporalPort, `127.0.0.1:${opts.temporalPort}`, t.address],
      [opts.uiPort, `http://127.0.0.1:${opts.uiPort}`, t.uiUrl],
      [opts.namespace, `namespace ${opts.namespace}`, `namespace ${t.namespace}`],
    ]);
    if (ignored.length > 0) {
      notes.push(
        `temporal already runs at ${t.address}; ignored ${ignored.join(', ')} (\`mlops dev down\` first to change)`,
      );
    }
  }
  const m = stack.minio;
  if (opts.store === 's3' && minioUp && m) {
    const ignored = differs([
      [opts.minioPort, `http://127.0.0.1:${opts.minioPort}`, m.endpoint],
      [opts.minioConsolePort, `http://127.0.0.1:${opts.minioConsolePort}`, m.consoleUrl],
      [opts.bucket, `bucket ${opts.bucket}`, `bucket ${m.bucket}`],
    ]);
    if (ignored.length > 0) {
      notes.push(
        `minio already runs at ${m.endpoint}; ignored ${ignored.join(', ')} (\`mlops dev down\` first to change)`,
      );
    }
  }
  const g = stack.gateway;
  if (gatewayUp && g) {
    const ignored = differs([
      [opts.gatewayPort, `http://127.0.0.1:${opts.gatewayPort}`, g.url],
      [opts.gatewayAdminPort, `http://127.0.0.1:${opts.gatewayAdminPort}`, g.adminUrl],
    ]);
    if (ignored.length > 0) {
      notes.push(
        `gateway already runs at ${g.url}; ignored ${ignored.join(', ')} (\`mlops dev down\` first to change)`,
      );
    }
  }
  return notes;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function updateStack(home: string, change: (stack: StackFile) => StackFile): void {
  saveStack(home, change(readStackFile(home)));
}
