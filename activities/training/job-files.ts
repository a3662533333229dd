/**
 * The on-disk layout of one local job, `<workRoot>/<jobId>/`:
 *   job.json        the job, its idempotency key, who submitted it (written once, atomically)
 *   data/           the materialized input snapshot (MLOPS_DATA_DIR)
 *   model/          the downloaded model folder, when the job has a `modelUri` (MLOPS_MODEL_DIR)
 *   output/         what the job writes (MLOPS_OUTPUT_DIR); `output/metrics.json` = final metrics
 *   job.log         stdout and stderr
 *   metrics.ndjson  the metric stream (MLOPS_METRICS_FILE): one `{step, name, value}` per line
 *   pid             `PidRecord` of the wrapper shell, which leads the job's process group
 *   exit-status     the command's exit status, written by the wrapper when the command ends
 *   outcome.json    a terminal state decided by the backend (cancelled, timeout, vanished); first one wins
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TrainingJob } from './types';

/** Hex digits of sha256(idempotency key) used as the job id. */
const JOB_ID_LENGTH = 24;

/** What `pid` holds. */
export interface PidRecord {
  pid: number;
  /** Process group id (the wrapper leads its own group, so equal to `pid`). */
  pgid: number;
  /** `processStartTime(pid)` at launch (./process-group.ts). */
  startTime: string | null;
  startedAt: string;
}

/** What `job.json` holds. */
export interface JobRecord {
  jobId: string;
  idempotencyKey: string;
  job: TrainingJob;
  createdAt: string;
  /** The submitting worker process, to tell an interrupted launch from a slow one. */
  submitter: { pid: number; startTime: string | null };
}

/** A terminal state the backend decided (the wrapper never writes this). */
export type Outcome =
  | { state: 'cancelled'; endedAt: string }
  | { state: 'failed'; reason: 'timeout' | 'process vanished' | 'launch interrupted'; endedAt: string };

/** The job id for an idempotency key. */
export function jobIdOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, JOB_ID_LENGTH);
}

/** Whether `jobId` has the shape `jobIdOf` produces (anything else could escape the work root). */
export function isJobId(jobId: string): boolean {
  return typeof jobId === 'string' && new RegExp(`^[0-9a-f]{${JOB_ID_LENGTH}}$`).test(jobId);
}

/** Paths of one job's files. */
export function jobPaths(workRoot: string, jobId: string) {
  const dir = path.join(workRoot, jobId);
  return {
    dir,
    job: path.join(dir, 'job.json'),
    data: path.join(dir, 'data'),
    model: path.join(dir, 'model'),
    output: path.join(dir, 'output'),
    log: path.join(dir, 'job.log'),
    metrics: path.join(dir, 'metrics.ndjson'),
    pid: path.join(dir, 'pid'),
    exitStatus: path.join(dir, 'exit-status'),
    outcome: path.join(dir, 'outcome.json'),
  };
}

export type JobPaths = ReturnType<typeof jobPaths>;

/** Writes `value` as JSON via a temp file and rename, so readers never see half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2));
  await fs.rename(tmp, file);
}

/** Writes `value` only if `file` does not exist; returns whether this call wrote it. */
export async function writeJsonExclusive(file: string, value: unknown): Promise<boolean> {
  try {
    await fs.writeFile(file, JSON.stringify(value), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A JSON file's value, or `undefined` if it does not exist (or is still being written). */
export async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A text file's content, or `undefined` if it does not exist. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Bytes of `file` from `offset`, at most `max`; empty if the file does not exist. */
export async function readFrom(file: string, offset: number, max: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `lines` lines of `file` (from its last 16 KB). */
export async function tailLines(file: string, lines: number): Promise<string> {
  const size = await fs.stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const bytes = await readFrom(file, Math.max(0, size - 16 * 1024), 16 * 1024);
  return bytes.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
