/**
 * The on-disk layout of one local job, `<workRoot>/<jobId>/`:
 *   job.json        the job, its idempotency key, who submitted it (written once, atomically)
 *   code/           the job's working copy of its code package (hard links into the code cache), when it has one
 *   data/           the materialized input snapshot (MLOPS_DATA_DIR)
 *   model/          the downloaded model folder, when the job has a `modelUri` (MLOPS_MODEL_DIR)
 *   inputs/<name>/  each named input, a snapshot or a model folder (MLOPS_INPUT_<NAME>)
 *   output/         what the job writes (MLOPS_OUTPUT_DIR); `output/metrics.json` = final metrics
 *   job.log         stdout and stderr
 *   metrics.ndjson  the metric stream (MLOPS_METRICS_FILE): one `{step, name, value}` per line
 *   pid             `PidRecord` of the wrapper shell, which leads the job's process group
 *   exit-status     the command's exit status, written by the wrapper when the command ends
 *   outcome.json    a terminal state decided by the backend (cancelled, timeout, vanished); first one wins
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { TrainingJob } from './types';

/** Hex digits of sha256(idempotency key) used as the job id. */
const JOB_ID_LENGTH = 24;

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
    code: path.join(dir, 'code'),
    data: path.join(dir, 'data'),
    model: path.join(dir, 'model'),
    inputs: path.join(dir, 'inputs'),
    output: path.join(dir, 'output'),
    log: path.join(dir, 'job.log'),
    metrics: path.join(dir, 'metrics.ndjson'),
    pid: path.join(dir, 'pid'),
    exitStatus: path.join(dir, 'exit-status'),
    outcome: path.join(dir, 'outcome.json'),
  };
}

export type JobPaths = ReturnType<typeof jobPaths>;
