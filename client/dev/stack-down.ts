/**
 * `stackDown`: stops the processes `mlops dev up` recorded (and only those: a pid now running
 * something else is left alone), removes them from `.mlops/stack.json`, and keeps the data
 * unless asked to purge it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { variantPaths } from '../../activities/serving/variant-files';
import { readJson } from '../../lib/files';
import type { PidRecord } from '../../lib/processes/pid-file';
import { isSameProcess, killGroup } from '../../lib/processes/process-group';
import type { StackFile } from '../../lib/config/stack-file';
import { readStackFile } from '../../lib/config/stack-file';
import { UserError } from '../../common/errors';
import { gatewayPaths } from '../../gateway/token';
import type { StopOutcome } from './processes';
import { stopProcessGroup } from './processes';
import type { PieceName } from './stack-status';
import { gatewayRunning, minioRunning, saveStack, stackPaths, temporalRunning, workerRunning } from './stack-status';

export interface StoppedPiece {
  piece: PieceName;
  pid: number;
  /** `not-running`: the record was stale (process gone, or its pid reused by another program). */
  outcome: StopOutcome | 'not-running';
}

export interface StackDownResult {
  home: string;
  pieces: StoppedPiece[];
  /** Model servers (`<endpoint>/<variant>`) stopped: the model-server processes deployments left running. */
  servers: string[];
  /** Data paths removed with `purge`. */
  purged: string[];
}

/** Stops the recorded pieces of the local stack; with `purge`, also deletes their data. */
export async function stackDown(
  home: string,
  opts: { purge?: boolean; graceMs?: number } = {},
): Promise<StackDownResult> {
  const stack = readStackFile(home);
  let stoppedWorker: StoppedPiece | undefined;
  const targets: { piece: PieceName; pid: number; running: boolean }[] = [];
  if (stack.temporal)
    targets.push({ piece: 'temporal', pid: stack.temporal.pid, running: temporalRunning(stack.temporal) });
  if (stack.minio) targets.push({ piece: 'minio', pid: stack.minio.pid, running: minioRunning(stack.minio) });

  const stop = async (t: (typeof targets)[number]): Promise<StoppedPiece> => {
    const outcome = t.running ? await stopProcessGroup(t.pid, opts.graceMs) : 'not-running';
    forget(home, t.piece);
    return { piece: t.piece, pid: t.pid, outcome };
  };
  // the worker before the servers it talks to
  if (stack.worker) {
    const running = workerRunning(stack.worker);
    const outcome = running ? await stopProcessGroup(stack.worker.pid, opts.graceMs) : 'not-running';
    forget(home, 'worker');
    stoppedWorker = { piece: 'worker', pid: stack.worker.pid, outcome };
  }
  // the gateway first, so its last capture batches still reach the store (MinIO) on the way down
  const gateway = stack.gateway && {
    piece: 'gateway' as const,
    pid: stack.gateway.pid,
    running: gatewayRunning(stack.gateway),
  };
  const first = gateway ? await Promise.allSettled([stop(gateway)]) : [];
  if (gateway) targets.unshift(gateway);
  const settled = [...first, ...(await Promise.allSettled(targets.slice(first.length).map(stop)))];
  const errors = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [`${targets[i]?.piece}: ${(s.reason as Error).message}`] : [],
  );
  if (errors.length > 0) throw new UserError(`could not stop the stack:\n${errors.join('\n')}`, 1);
  const pieces = [
    ...(stoppedWorker ? [stoppedWorker] : []),
    ...settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
  ];

  const servers = await stopModelServers(path.join(home, 'serving'), opts.graceMs ?? 10_000);
  const purged = opts.purge ? purge(home, stack) : [];
  return { home, pieces, servers, purged };
}

/**
 * Stops the model server of every variant under `servingRoot` that is still the process it launched
 * (its pid record says which); a later deployment of the same version starts it again.
 */
async function stopModelServers(servingRoot: string, graceMs: number): Promise<string[]> {
  const stopped: string[] = [];
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
  for (const endpoint of list(servingRoot)) {
    for (const variant of list(path.join(servingRoot, endpoint))) {
      const pidFile = variantPaths(servingRoot, endpoint, variant).pid;
      const rec = await readJson<PidRecord>(pidFile);
      if (!rec || !(await isSameProcess(rec.pid, rec.startTime))) continue;
      await killGroup(rec.pgid, graceMs);
      stopped.push(`${endpoint}/${variant}`);
    }
  }
  return stopped;
}

function forget(home: string, piece: PieceName): void {
  saveStack(home, { ...readStackFile(home), [piece]: undefined });
}

function purge(home: string, stack: StackFile): string[] {
  const paths = stackPaths(home);
  const dbFile = stack.temporal?.dbFile ?? paths.dbFile;
  const candidates = [
    dbFile,
    `${dbFile}-wal`,
    `${dbFile}-shm`,
    `${dbFile}-journal`,
    stack.minio?.dataDir ?? paths.minioDir,
    gatewayPaths(home).dir,
  ];
  const removed = candidates.filter((p) => fs.existsSync(p));
  for (const p of removed) fs.rmSync(p, { recursive: true, force: true });
  return removed;
}
