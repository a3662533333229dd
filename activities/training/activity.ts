/**
 * The `runTrainingJob` activity (task queue `mlops-training`): submits a job with an idempotency
 * key derived from the workflow and step, polls it, heartbeats the job id with its progress (latest
 * metrics, log tail), re-attaches from the heartbeat when retried, cancels the job when the activity
 * is cancelled, and classifies failures:
 *   - the job's own failure (an exit code: bad params, a Python exception, a missing entrypoint)
 *     and timeouts → non-retryable `TrainingJobFailed` with the last log lines in the message;
 *   - the job lost to the infrastructure (process vanished, killed by a signal, launch
 *     interrupted) → a retryable failure; the retry submits a fresh job (next generation).
 */
import { activityInfo, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { asActivity } from '../failures';
import type { MetricPoint, TrainingBackend, TrainingJob } from './types';

export interface RunTrainingJobInput {
  job: TrainingJob;
  /** Names the step within the workflow (e.g. `train`, `trial-3`); with the workflow id it makes the key. */
  step: string;
  /** How often to poll the job. @default 1000 */
  pollIntervalMs?: number;
}

export interface TrainingJobOutcome {
  jobId: string;
  outputUri: string;
  metrics: Record<string, number>;
  /** The latest value of each intermediate metric the job streamed. */
  latestMetrics: Record<string, { step: number; value: number }>;
  logTail: string;
}

/** What each heartbeat carries: the resume point (job id, generation) and progress for people. */
export interface TrainingHeartbeat {
  jobId: string;
  generation: number;
  state: string;
  latestMetrics: Record<string, { step: number; value: number }>;
  logTail: string;
}

const LOG_TAIL_LINES = 20;

/** Builds `runTrainingJob` on a backend. */
export function createTrainingActivities(deps: { trainingBackend: TrainingBackend }) {
  return {
    /** Runs a training job to completion on the training backend; see the module comment. */
    async runTrainingJob(input: RunTrainingJobInput): Promise<TrainingJobOutcome> {
      return asActivity(() => runJob(deps.trainingBackend, input));
    },
  };
}

async function runJob(backend: TrainingBackend, input: RunTrainingJobInput): Promise<TrainingJobOutcome> {
  const info = activityInfo();
  const previous = info.heartbeatDetails as TrainingHeartbeat | undefined;
  let generation = previous?.generation ?? 0;
  // a job lost to the infrastructure in an earlier attempt is replaced by a fresh one
  if (previous?.state === 'lost') generation += 1;
  const key = `${info.workflowExecution?.workflowId ?? info.activityId}/${input.step}#${generation}`;
  const { jobId } = await backend.submit(input.job, key);
  const latestMetrics: Record<string, { step: number; value: number }> = { ...(previous?.latestMetrics ?? {}) };
  let metricsOffset = 0;
  let logOffset = 0;
  let logTail = '';
  const beat = (state: string) =>
    heartbeat({ jobId, generation, state, latestMetrics, logTail } satisfies TrainingHeartbeat);
  const signal = cancellationSignal();
  for (;;) {
    const status = await backend.status(jobId);
    const metrics = await backend.metrics(jobId, metricsOffset);
    metricsOffset = metrics.next;
    fold(latestMetrics, metrics.points);
    for (;;) {
      const chunk = await backend.logs(jobId, logOffset);
      if (chunk.next === logOffset) break;
      logOffset = chunk.next;
      logTail = lastLines(logTail + chunk.text, LOG_TAIL_LINES);
    }
    if (status.state === 'succeeded') {
      beat('succeeded');
      const result = await backend.result(jobId);
      return { jobId, ...result, latestMetrics, logTail };
    }
    if (status.state === 'failed') {
      const lost = status.exitCode === null && !/timeout/.test(status.reason);
      beat(lost || status.signal !== undefined ? 'lost' : 'failed');
      if (lost || status.signal !== undefined) {
        throw ApplicationFailure.retryable(`training job ${jobId} was lost: ${status.reason}`, 'TrainingJobLost');
      }
      throw ApplicationFailure.create({
        type: 'TrainingJobFailed',
        message: `training job ${input.job.name} (${jobId}) failed${status.exitCode === null ? '' : ` with exit code ${status.exitCode}`}: ${status.reason}`,
        nonRetryable: true,
        details: [{ jobId, exitCode: status.exitCode, logTail }],
      });
    }
    if (status.state === 'cancelled') {
      throw ApplicationFailure.nonRetryable(
        `training job ${jobId} was cancelled outside this run`,
        'TrainingJobCancelled',
      );
    }
    beat(status.state);
    try {
      await sleep(input.pollIntervalMs ?? 1000);
    } catch (err) {
      if (signal.aborted || err instanceof CancelledFailure) {
        await backend.cancel(jobId);
        throw err;
      }
      throw err;
    }
  }
}

function fold(latest: Record<string, { step: number; value: number }>, points: MetricPoint[]): void {
  for (const p of points) {
    const current = latest[p.name];
    if (current === undefined || p.step >= current.step) latest[p.name] = { step: p.step, value: p.value };
  }
}

/** The last `n` lines of `text`. */
function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(Math.max(0, lines.length - n - 1)).join('\n');
}
