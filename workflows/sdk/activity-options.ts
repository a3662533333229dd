/**
 * The activity option profiles of pipeline workflows, named once: every block (and the workflows
 * that share a profile) proxies activities through these.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { KEEPALIVE_TIMEOUT } from '../keepalive';

/** Short store reads and writes on the workflow queue: registry, tracking, reports, validation. */
export const light = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

/**
 * Quick store reads and tracking writes as local activities (runs patched `lean-bookkeeping`, and
 * `trainModel`'s `lean-train-tracking`): run by the workflow's own worker inside the workflow task,
 * with no task-queue round trip and no workflow task of their own. Only for calls that are short
 * and idempotent: the champion lookup, the code version, evaluation reads, the report's location,
 * the tracked run's start and end, a trial's record.
 */
export const quick = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '200ms', maximumInterval: '30s', maximumAttempts: 10 },
});

/** Experiment tracking of a training child (`trainModel`, sweeps): retried until the store answers. */
export const tracking = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Dataset snapshots: long (hashing and uploading), heartbeating their resume point. */
export const snapshots = proxyActivities<Activities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});

/** Webhook notifications: a few quick attempts (callers swallow the failure: ./notify.ts). */
export const notifications = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
});

/**
 * Jobs on the training queue (training, evaluation, pipeline steps): heartbeating, re-attaching on
 * retry, and — unless `waitForCancellation` is false — a cancelled workflow goes on only once its job
 * has stopped.
 */
export function trainingJobs(taskQueue: string, timeoutSeconds: number | undefined, waitForCancellation = true) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: `${(timeoutSeconds ?? 24 * 3600) + 600}s`,
    heartbeatTimeout: '15s',
    ...(waitForCancellation ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {}),
    retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 5 },
  });
}

/**
 * Packaging a folder of a training host into the store (`packageCode`, within that worker's source
 * roots): the light profile, on the training queue whose hosts had the folder.
 */
export function codePackaging(taskQueue: string) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: KEEPALIVE_TIMEOUT,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
  });
}
