/** A worker with the real serving and rollout activities over fakes of the backend, registry and webhook. */
import { Worker } from '@temporalio/worker';
import { createRolloutActivities } from '../../activities/rollout/activities';
import { createServingActivities } from '../../activities/serving';
import type { FakeNotifier } from './fake-notifier';
import type { FakeRegistry } from './fake-registry';
import type { FakeServing } from './fake-serving';
import { testStack, workflowBundle } from './stack';

/** A worker on `taskQueue` running the built-in workflows; `more` adds activities (e.g. fake pipeline steps). */
export async function fakeRolloutWorker(
  taskQueue: string,
  serving: FakeServing,
  registry: FakeRegistry,
  notifier: FakeNotifier,
  more: Record<string, (...args: never[]) => Promise<unknown>> = {},
): Promise<Worker> {
  const { env } = testStack();
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...createServingActivities({ servingBackend: serving }),
      ...createRolloutActivities({ servingBackend: serving }),
      ...registry.activities(),
      ...notifier.activities(),
      ...more,
    },
  });
}
