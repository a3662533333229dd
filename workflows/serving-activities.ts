/**
 * The activity options the serving workflows share (`progressiveRollout`, `abTest`): quick calls to
 * the gateway and the registry, and deployments that wait for a model server while heartbeating
 * (notifications go through ./sdk/notify.ts).
 *
 * What is bound to a serving host — deploying a variant, waiting for it, stopping it, and reading or
 * changing an endpoint through the backend that knows its local servers — runs on the serving task
 * queue (`mlops-serving`), polled by `mlops worker --queues serving`: `servingHost(queue)`. Runs
 * started before the serving queue existed carry no queue and keep these on their own task queue
 * (`servingHostOf`, behind the `serving-queue` patch).
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** The patch behind which serving-host activities moved to the serving task queue. */
export const SERVING_QUEUE_PATCH = 'serving-queue';

const QUICK = {
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 10 },
} as const;

const DEPLOYING = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
} as const;

/** Gateway and registry calls: short, retried through a gateway restart. */
export const serving = proxyActivities<Activities>(QUICK);

/** Deploying a variant and waiting for it to serve. */
export const deploying = proxyActivities<Activities>(DEPLOYING);

/** The activities bound to a serving host, with the options above. */
export interface ServingHost {
  /** Quick calls that read or change host-local state: describe, traffic, undeploy. */
  quick: typeof serving;
  /** Deploying a variant and waiting for it. */
  deploying: typeof deploying;
}

/** Serving-host activities on `taskQueue` (the serving task queue). */
export function servingHost(taskQueue: string): ServingHost {
  return {
    quick: proxyActivities<Activities>({ ...QUICK, taskQueue }),
    deploying: proxyActivities<Activities>({ ...DEPLOYING, taskQueue }),
  };
}

/**
 * Where a run's serving-host activities go: on `servingTaskQueue` when the run was started with one
 * (and records the patch), else on the workflow's own queue, as runs started before did.
 */
export function servingHostOf(servingTaskQueue: string | undefined): ServingHost {
  if (servingTaskQueue !== undefined && patched(SERVING_QUEUE_PATCH)) return servingHost(servingTaskQueue);
  return { quick: serving, deploying };
}
