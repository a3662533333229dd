/**
 * The serving task queue on the shared dev server: a worker polling only the workflow queue (with
 * the light activities) and another polling only the serving queue, each with its own activities.
 * The serving worker holds the serving backend (an in-memory fake, test/support/fake-serving.ts);
 * the workflow queue's worker has a backend that can only read the gateway's metrics and fails
 * every host-bound call, so a deploy that went to the wrong queue would roll the rollout back.
 * Which queue each activity was scheduled on, and which worker ran it, is read from the history.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createRolloutActivities } from '../../activities/rollout/activities';
import { createServingActivities } from '../../activities/serving';
import type { ServingBackend, VariantMetrics } from '../../activities/serving/types';
import { InvalidServingArgumentError } from '../../common/failures';
import { passingRetrainSpec, passingRetrainSteps } from '../support/fake-pipeline-activities';
import { pipelineSpecSchema, rolloutSectionSchema } from '../../common/schemas/spec';
import { progressiveRollout } from '../../workflows/progressive-rollout';
import { retrainPipeline } from '../../workflows/retrain-pipeline';
import { SERVING_QUEUE_PATCH } from '../../workflows/serving-activities';
import { FakeNotifier } from '../support/fake-notifier';
import { FakeRegistry } from '../support/fake-registry';
import { fakeRolloutWorker } from '../support/rollout-worker';
import { FakeServing } from '../support/fake-serving';
import { recordHistory } from '../support/histories';
import { testStack, workflowBundle } from '../support/stack';
import { uniqueQueue } from '../support/worker';

const MODEL = 'churn-sq';

const healthy = (): VariantMetrics => ({
  requests: 100,
  errorRate: 0,
  latencyMs: { p50: 5, p95: 10 },
  predictions: Array.from({ length: 60 }, (_, i) => (i + 0.5) / 60),
});

/** The activities that must run on a serving host. */
const HOST_BOUND = ['endpointBeforeRollout', 'deployVariant', 'waitVariantReady', 'setTraffic', 'undeployVariant'];

/** A backend for the workflow queue's worker: the gateway's metrics, and nothing bound to a host. */
function metricsOnly(serving: FakeServing): ServingBackend {
  // non-retryable: a host-bound call here fails the rollout at once
  const refuse = (what: string) => () =>
    Promise.reject(new InvalidServingArgumentError(what, 'a host-bound call ran on the workflow queue'));
  return {
    readMetrics: (endpoint, variant) => serving.readMetrics(endpoint, variant),
    deployVariant: refuse('deployVariant'),
    waitReady: refuse('waitReady'),
    setTraffic: refuse('setTraffic'),
    undeployVariant: refuse('undeployVariant'),
    describe: refuse('describe'),
    listEndpoints: refuse('listEndpoints'),
  };
}

interface ActivityRun {
  type: string;
  taskQueue: string;
  /** The identity of the worker that started it. */
  worker: string;
}

/** Every activity of the run in order: its type, the queue it was scheduled on, the worker that ran it. */
async function activitiesOf(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const started = new Map<string, string>();
  for (const e of events) {
    const s = e.activityTaskStartedEventAttributes;
    if (s) started.set(String(s.scheduledEventId), s.identity ?? '');
  }
  return events.flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) return [];
    return [
      {
        type: a.activityType?.name ?? '',
        taskQueue: a.taskQueue?.name ?? '',
        worker: started.get(String(e.eventId)) ?? '',
      },
    ];
  });
}

/** Whether the run recorded the serving-queue patch marker. */
async function hasServingPatch(handle: WorkflowHandle): Promise<boolean> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.some((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {})
      .flatMap((p) => p.payloads ?? [])
      .some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes(`"${SERVING_QUEUE_PATCH}"`),
      ),
  );
}

describe('the serving task queue', function () {
  this.timeout(90_000);

  /** A workflow-queue worker and a serving-queue worker, each with its own activities, running `fn`. */
  const withSplitWorkers = async <T>(
    serving: FakeServing,
    registry: FakeRegistry,
    more: Record<string, (...args: never[]) => Promise<unknown>>,
    fn: (queues: { queue: string; servingQueue: string }) => Promise<T>,
  ): Promise<T> => {
    const { env } = testStack();
    const queue = uniqueQueue('sq-workflows');
    const servingQueue = uniqueQueue('sq-serving');
    const notifier = new FakeNotifier();
    const orchestration = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: queue,
      identity: 'orchestration-worker',
      workflowBundle: await workflowBundle(),
      activities: {
        ...createServingActivities({ servingBackend: metricsOnly(serving) }),
        ...createRolloutActivities({ servingBackend: metricsOnly(serving) }),
        ...registry.activities(),
        ...notifier.activities(),
        ...more,
      },
    });
    const servingHost = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: servingQueue,
      identity: 'serving-worker',
      activities: {
        ...createServingActivities({ servingBackend: serving }),
        ...createRolloutActivities({ servingBackend: serving }),
      },
    });
    return orchestration.runUntil(servingHost.runUntil(fn({ queue, servingQueue })));
  };

  it("runs a rollout's deploy, readiness, traffic and undeploy on the serving queue, its analysis and registry calls on the workflow queue", async () => {
    const { env } = testStack();
    const endpoint = `sq-${randomUUID().slice(0, 8)}`;
    const serving = new FakeServing(() => healthy()).withServing(endpoint, MODEL, 1);
    const registry = new FakeRegistry(MODEL, 1);
    const { handle, result, queue, servingQueue } = await withSplitWorkers(
      serving,
      registry,
      {},
      async ({ queue, servingQueue }) => {
        const handle = await env.client.workflow.start(progressiveRollout, {
          workflowId: `rollout/${endpoint}`,
          taskQueue: queue,
          args: [
            {
              endpoint,
              model: { name: MODEL, version: 2, artifactUri: 'file:///fake/v2' },
              rollout: rolloutSectionSchema.parse({
                endpoint,
                steps: [50, 100],
                bake: '1s',
                analysisInterval: '1s',
                terminationWait: '1s',
              }),
              actor: 'test',
              servingTaskQueue: servingQueue,
            },
          ],
        });
        return { handle, result: await handle.result(), queue, servingQueue };
      },
    );
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.deepEqual(serving.trafficSet, [
      { 'churn-sq-v2': 50, 'churn-sq-v1': 50 },
      { 'churn-sq-v2': 100 },
      { 'churn-sq-v2': 100 },
    ]);
    assert.deepEqual(serving.undeployed, ['churn-sq-v1']);
    assert.equal(registry.champion, 2);

    const ran = await activitiesOf(handle);
    const onServing = ran.filter((a) => a.taskQueue === servingQueue);
    assert.deepEqual([...new Set(onServing.map((a) => a.type))].sort(), [...HOST_BOUND].sort());
    assert.ok(
      onServing.every((a) => a.worker === 'serving-worker'),
      JSON.stringify(onServing),
    );
    const onWorkflows = ran.filter((a) => a.taskQueue !== servingQueue);
    assert.ok(
      onWorkflows.every((a) => a.taskQueue === queue && a.worker === 'orchestration-worker'),
      JSON.stringify(onWorkflows),
    );
    assert.ok(
      onWorkflows.every((a) => !HOST_BOUND.includes(a.type)),
      `host-bound work on the workflow queue: ${JSON.stringify(onWorkflows)}`,
    );
    assert.deepEqual([...new Set(onWorkflows.map((a) => a.type))].sort(), [
      'analyzeRollout',
      'findChampion',
      'setModelAlias',
      'setModelStatus',
    ]);
    assert.ok(await hasServingPatch(handle), 'the run records the serving-queue patch');
    await recordHistory('rollout-serving-queue-promoted', `rollout/${endpoint}`);
  });

  it('a retrain started with the serving queue passes it to its rollout, whose host-bound work runs there', async () => {
    const { env } = testStack();
    const endpoint = `sq-${randomUUID().slice(0, 8)}`;
    const serving = new FakeServing(() => healthy());
    const registry = new FakeRegistry(MODEL, null);
    const pipelineSteps = passingRetrainSteps('churn-sq', 1);
    const spec = pipelineSpecSchema.parse(
      passingRetrainSpec('churn-sq', MODEL, { endpoint, steps: [100], bake: '1s', analysisInterval: '1s' }),
    );
    const run = `retrain/churn-sq/${randomUUID().slice(0, 8)}`;
    const { result, servingQueue } = await withSplitWorkers(
      serving,
      registry,
      pipelineSteps,
      async ({ queue, servingQueue }) => ({
        servingQueue,
        result: await env.client.workflow.execute(retrainPipeline, {
          workflowId: run,
          taskQueue: queue,
          args: [{ spec, trigger: 'manual', actor: 'test', trainingTaskQueue: queue, servingTaskQueue: servingQueue }],
        }),
      }),
    );
    assert.equal(result.outcome, 'approved', JSON.stringify(result));
    // a first deployment: the variant takes all traffic once ready
    assert.deepEqual(serving.trafficSet, [{ 'churn-sq-v1': 100 }]);
    const ran = await activitiesOf(env.client.workflow.getHandle(`rollout/${endpoint}`));
    const deploys = ran.filter((a) => a.type === 'deployVariant' || a.type === 'waitVariantReady');
    assert.equal(deploys.length, 2, JSON.stringify(ran));
    assert.ok(
      deploys.every((a) => a.taskQueue === servingQueue && a.worker === 'serving-worker'),
      JSON.stringify(deploys),
    );
  });

  it('a rollout started without a serving queue (as runs before it existed) keeps every activity on its own queue', async () => {
    const { env } = testStack();
    const endpoint = `sq-${randomUUID().slice(0, 8)}`;
    const serving = new FakeServing(() => healthy()).withServing(endpoint, MODEL, 1);
    const registry = new FakeRegistry(MODEL, 1);
    const queue = uniqueQueue('sq-single');
    const worker = await fakeRolloutWorker(queue, serving, registry, new FakeNotifier());
    const handle = await env.client.workflow.start(progressiveRollout, {
      workflowId: `rollout/${endpoint}`,
      taskQueue: queue,
      args: [
        {
          endpoint,
          model: { name: MODEL, version: 2, artifactUri: 'file:///fake/v2' },
          rollout: rolloutSectionSchema.parse({ endpoint, steps: [100], bake: '1s', analysisInterval: '1s' }),
          actor: 'test',
          terminationWait: '1s',
        },
      ],
    });
    const result = await worker.runUntil(handle.result());
    assert.equal(result.outcome, 'promoted', result.reason);
    const ran = await activitiesOf(handle);
    assert.ok(ran.length > 0);
    assert.deepEqual([...new Set(ran.map((a) => a.taskQueue))], [queue]);
    assert.equal(await hasServingPatch(handle), false, 'no serving-queue marker without a serving queue');
  });
});
