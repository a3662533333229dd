/**
 * The activity options the serving workflows share (`progressiveRollout`, `abTest`): quick calls to
 * the gateway and the registry, and deployments that wait for a model server while heartbeating
 * (notifications go through ./sdk/notify.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Gateway and registry calls: short, retried through a gateway restart. */
export const serving = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 10 },
});

/** Deploying a variant and waiting for it to serve. */
export const deploying = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
});
