/**
 * The `runTrainingJob` activity (task queue `mlops-training`): submits a job with an idempotency
 * key derived from the workflow and step, polls it, heartbeats the job id with its progress (latest
 * metrics, log tail), re-attaches from the heartbeat when retried, cancels the job when the activity
 * is cancelled, and classifies failures:
 *   - the job's own failure (an exit code: bad params, a Python exception, a missing entrypoint)
 *     and timeouts → non-retryable `TrainingJobFailed` with the last log lines in the message;
 *   - the job lost to the infrastructure (process vanished, killed by a signal, launch
 *     interrupted) → a retryable failure; the retry submits a fresh job (next generation).
 * The job's log lines reach the workflow history (heartbeats, the outcome, failure messages): they
 * are redacted of the worker's secret values first (lib/redact.ts), whatever the job printed.
 */
import { activityInfo, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Direction } from '../../common/schemas/sweep';
import { medianStoppingDecision, type MedianStoppingDecision } from '../../common/sweep-plan';
import { asActivity } from '../failures';
import { redact, secretValues } from '../../lib/redact';
import type { BlobStore } from '../storage/types';
import { ExperimentTracker } from '../tracking';
import { TrialNotFoundError } from '../../common/failures';
import { TrainingJobCancelledError, TrainingJobFailedError, TrainingJobLostError } from '../../common/failures';
import type { JobStatus, MetricPoint, TrainingBackend, TrainingJob } from './types';

export interface RunTrainingJobInput {
  job: TrainingJob;
  /** Names the step within the workflow (e.g. `train`, `trial-3`); with the workflow id it makes the key. */
  step: string;
  /** How often to poll the job. @default 1000 */
  pollIntervalMs?: number;
  /** Streams the job's intermediate metrics into this tracked trial while it runs. */
  track?: {
    pipeline: string;
    run: string;
    trial: number;
    /** Also record the trial's result (final metrics; succeeded or stopped-early) when the job ends well. */
    finish?: boolean;
  };
  /**
   * Median stopping against the other trials of `track`'s run (their tracked streams of `metric`):
   * when the rule says stop, the job is cancelled and the outcome says `stoppedEarly`.
   */
  earlyStopping?: { metric: string; direction: Direction; minSteps: number; minTrials: number };
  /** How often to judge early stopping (it reads the peers' streams). @default 5000 */
  earlyStoppingIntervalMs?: number;
}

export interface TrainingJobOutcome {
  jobId: string;
  /** Where the outputs are (absent when the job was stopped early: nothing was uploaded). */
  outputUri?: string;
  /** Final metrics (for a job stopped early: the latest value of each intermediate metric). */
  metrics: Record<string, number>;
  /** Set when the median stopping rule stopped the job: the decision, for the record. */
  stoppedEarly?: MedianStoppingDecision & { metric: string };
  /** The latest value of each intermediate metric the job streamed. */
  latestMetrics: Record<string, { step: number; value: number }>;
  logTail: string;
  /**
   * When the job's process started and exited (ISO times, as the backend saw them), for a backend
   * that knows: the job's own run time, apart from launching, polling and uploading around it.
   */
  ran?: { startedAt: string; endedAt: string };
}

/** What each heartbeat carries: the resume point (job id, generation) and progress for people. */
export interface TrainingHeartbeat {
  jobId: string;
  generation: number;
  state: string;
  latestMetrics: Record<string, { step: number; value: number }>;
  logTail: string;
  /** Byte offset of the job's metric stream already copied to the tracked trial (`track`). */
  tracked?: number;
}

const LOG_TAIL_LINES = 20;
/** Intermediate metrics reach the tracker at most this often (and once more at the end). */
const TRACK_INTERVAL_MS = 2000;
/** How long the final copy of metrics waits for a trial started concurrently with its job. */
const TRIAL_WAIT_MS = 60_000;

/** Builds `runTrainingJob` on a backend. */
export function createTrainingActivities(deps: {
  trainingBackend: TrainingBackend;
  store: BlobStore;
  /** Secret values hidden in quoted job logs (lib/redact.ts). @default secretValues(process.env) */
  secrets?: readonly string[];
}) {
  const tracker = new ExperimentTracker(deps.store);
  const secrets = deps.secrets ?? secretValues(process.env);
  return {
    /** Runs a training job to completion on the training backend; see the module comment. */
    async runTrainingJob(input: RunTrainingJobInput): Promise<TrainingJobOutcome> {
      return asActivity(() => runJob(deps.trainingBackend, tracker, input, (text) => redact(text, secrets)));
    },
  };
}

/** Runs the job; `hide` redacts every text of the job's (log tail, failure reason) before it leaves. */
async function runJob(
  backend: TrainingBackend,
  tracker: ExperimentTracker,
  input: RunTrainingJobInput,
  hide: (text: string) => string,
): Promise<TrainingJobOutcome> {
  const info = activityInfo();
  const previous = info.heartbeatDetails as TrainingHeartbeat | undefined;
  let generation = previous?.generation ?? 0;
  // a job lost to the infrastructure in an earlier attempt is replaced by a fresh one
  if (previous?.state === 'lost') generation += 1;
  const keyOf = (g: number) => `${info.workflowExecution?.workflowId ?? info.activityId}/${input.step}#${g}`;
  let { jobId, attached } = await backend.submit(input.job, keyOf(generation));
  // The 'lost' heartbeat above may never have reached the server (the worker died right after the
  // job did): a job found already lost when attaching is never resumed, its successor is started.
  while (attached && lostJob(await backend.status(jobId))) {
    generation += 1;
    ({ jobId, attached } = await backend.submit(input.job, keyOf(generation)));
  }
  const latestMetrics: Record<string, { step: number; value: number }> = { ...(previous?.latestMetrics ?? {}) };
  let logOffset = 0;
  // the raw tail is kept so a secret split across two reads is still found whole
  let rawTail = '';
  let logTail = '';
  // the metric stream is read from where the last attempt's copy to the tracked trial ended
  let tracked = input.track && previous?.jobId === jobId ? (previous.tracked ?? 0) : 0;
  let metricsOffset = tracked;
  let untracked: MetricPoint[] = [];
  let lastTracked = 0;
  let lastJudged = 0;
  const curve: { step: number; value: number }[] =
    input.earlyStopping && input.track && tracked > 0
      ? await tracker.readMetrics(input.track.pipeline, input.track.run, input.track.trial, input.earlyStopping.metric)
      : [];
  const beat = (state: string) =>
    heartbeat({ jobId, generation, state, latestMetrics, logTail, tracked } satisfies TrainingHeartbeat);
  /**
   * Copies the points read so far to the tracked trial. The trial may be started concurrently with
   * the job (a sweep trial does so): until it exists the points wait, and the final flush
   * (`mustLand`) waits for it, up to a limit.
   */
  const flushTracked = async (offset: number, mustLand = false) => {
    if (input.track === undefined) return;
    if (untracked.length > 0) {
      const { pipeline, run, trial } = input.track;
      const deadline = Date.now() + TRIAL_WAIT_MS;
      for (;;) {
        try {
          await tracker.logMetrics(pipeline, run, trial, untracked, { batchId: `${jobId}@${tracked}-${offset}` });
          break;
        } catch (err) {
          if (!(err instanceof TrialNotFoundError)) throw err;
          if (!mustLand) return;
          if (Date.now() > deadline) throw new Error(`trial ${trial} of ${run} was never started`);
          await sleep(100);
        }
      }
    }
    untracked = [];
    tracked = offset;
    lastTracked = Date.now();
  };
  const signal = cancellationSignal();
  for (;;) {
    const status = await backend.status(jobId);
    const metrics = await backend.metrics(jobId, metricsOffset);
    for (const p of metrics.points) {
      if (input.track) untracked.push(p);
      if (p.name === input.earlyStopping?.metric) curve.push({ step: p.step, value: p.value });
    }
    metricsOffset = metrics.next;
    fold(latestMetrics, metrics.points);
    const finished = status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled';
    if (finished || Date.now() - lastTracked >= TRACK_INTERVAL_MS) await flushTracked(metricsOffset, finished);
    if (input.earlyStopping && input.track && status.state === 'running') {
      const interval = input.earlyStoppingIntervalMs ?? 5000;
      const reached = (curve.at(-1)?.step ?? 0) >= input.earlyStopping.minSteps;
      if (reached && Date.now() - lastJudged >= interval) {
        lastJudged = Date.now();
        const decision = await judge(tracker, input.track, input.earlyStopping, curve);
        if (decision?.stop) {
          await backend.cancel(jobId);
          await flushTracked(metricsOffset, true);
          beat('stopped-early');
          const metricsNow = Object.fromEntries(Object.entries(latestMetrics).map(([k, v]) => [k, v.value]));
          await finishTracked(tracker, input.track, metricsNow, 'stopped-early');
          return {
            jobId,
            metrics: metricsNow,
            latestMetrics,
            logTail,
            stoppedEarly: { ...decision, metric: input.earlyStopping.metric },
          };
        }
      }
    }
    for (;;) {
      const chunk = await backend.logs(jobId, logOffset);
      if (chunk.next === logOffset) break;
      logOffset = chunk.next;
      rawTail = lastLines(rawTail + chunk.text, LOG_TAIL_LINES);
      logTail = hide(rawTail);
    }
    if (status.state === 'succeeded') {
      beat('succeeded');
      const result = await backend.result(jobId);
      await finishTracked(tracker, input.track, result.metrics, 'succeeded');
      const ran = status.startedAt !== undefined ? { startedAt: status.startedAt, endedAt: status.endedAt } : undefined;
      return { jobId, ...result, latestMetrics, logTail, ...(ran && { ran }) };
    }
    if (status.state === 'failed') {
      const lost = lostJob(status);
      beat(lost ? 'lost' : 'failed');
      // the reason quotes the job's last log lines
      const end = { ...status, reason: hide(status.reason) };
      if (lost) {
        // retryable: the next attempt starts a fresh job (next generation), bounded by the retry policy
        throw new TrainingJobLostError(input.job.name, jobId, info.attempt, generation, end);
      }
      throw new TrainingJobFailedError(input.job.name, jobId, end, logTail);
    }
    if (status.state === 'cancelled') throw new TrainingJobCancelledError(jobId);
    beat(status.state);
    try {
      const interval = input.pollIntervalMs ?? 1000;
      if (backend.waitForChange) {
        await backend.waitForChange(jobId, interval, signal);
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledFailure('cancelled');
      } else {
        await sleep(interval);
      }
    } catch (err) {
      if (signal.aborted || err instanceof CancelledFailure) {
        await backend.cancel(jobId);
        throw err;
      }
      throw err;
    }
  }
}

/** Records the tracked trial's result when asked to (`track.finish`); idempotent, so a retry is harmless. */
async function finishTracked(
  tracker: ExperimentTracker,
  track: RunTrainingJobInput['track'],
  metrics: Record<string, number>,
  status: 'succeeded' | 'stopped-early',
): Promise<void> {
  if (!track?.finish) return;
  const deadline = Date.now() + TRIAL_WAIT_MS;
  for (;;) {
    try {
      await tracker.finishTrial(track.pipeline, track.run, track.trial, { metrics, status });
      return;
    } catch (err) {
      // the trial may be started concurrently with a very short job
      if (!(err instanceof TrialNotFoundError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** The median stopping rule for the tracked trial against the run's other trials. */
async function judge(
  tracker: ExperimentTracker,
  track: NonNullable<RunTrainingJobInput['track']>,
  rule: NonNullable<RunTrainingJobInput['earlyStopping']>,
  own: { step: number; value: number }[],
): Promise<MedianStoppingDecision | undefined> {
  const last = own.at(-1);
  if (last === undefined || last.step < rule.minSteps) return undefined;
  const trials = await tracker.listTrials(track.pipeline, track.run);
  const peers = await Promise.all(
    trials
      .filter((t) => t.trial !== track.trial)
      .map((t) => tracker.readMetrics(track.pipeline, track.run, t.trial, rule.metric)),
  );
  return medianStoppingDecision(own, peers, rule);
}

/**
 * Whether a failed job was lost to the infrastructure rather than failing on its own: killed by a
 * signal (the OOM killer, a node going away) or gone without an exit status; a timeout is not lost.
 */
function lostJob(status: JobStatus): boolean {
  if (status.state !== 'failed') return false;
  return status.signal !== undefined || (status.exitCode === null && !/timeout/.test(status.reason));
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
