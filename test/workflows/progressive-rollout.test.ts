/**
 * `progressiveRollout`'s decisions on the shared dev server, against an in-memory serving backend
 * (test/support/fake-serving.ts: scripted per-variant metrics) behind the real serving and rollout
 * activities, so the real canary analysis judges every window; the registry and the notifier are
 * fakes that record what they were asked (test/support/fake-registry.ts, fake-notifier.ts). Each test asserts the traffic splits the rollout set, in order, and how it
 * ended. The last runs a whole `retrainPipeline` on fake tracking, data and training activities, to
 * show that a rollback its rollout posts is not posted a second time by the run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { VariantMetrics } from '../../activities/serving/types';
import { passingRetrainSpec, passingRetrainSteps } from '../support/fake-pipeline-activities';
import { pipelineSpecSchema, rolloutSectionSchema } from '../../common/schemas/spec';
import { progressiveRollout, type ProgressiveRolloutInput } from '../../workflows/progressive-rollout';
import { retrainPipeline } from '../../workflows/retrain-pipeline';
import { FakeNotifier } from '../support/fake-notifier';
import { FakeRegistry } from '../support/fake-registry';
import { fakeRolloutWorker } from '../support/rollout-worker';
import { FakeServing } from '../support/fake-serving';
import { recordHistory } from '../support/histories';
import { testStack } from '../support/stack';
import { uniqueQueue } from '../support/worker';

const MODEL = 'churn-wf';

const healthy = (requests = 100): VariantMetrics => ({
  requests,
  errorRate: 0,
  latencyMs: { p50: 5, p95: 10 },
  predictions: Array.from({ length: 60 }, (_, i) => (i + 0.5) / 60),
});

describe('progressiveRollout decisions', function () {
  this.timeout(90_000);
  const queue = uniqueQueue('rollout-wf');

  const fakeServingWorker = (
    serving: FakeServing,
    registry: FakeRegistry,
    notifier: FakeNotifier,
    more: Record<string, (...args: never[]) => Promise<unknown>> = {},
  ) => fakeRolloutWorker(queue, serving, registry, notifier, more);

  /** Runs one rollout of v2 on a fresh endpoint whose baseline is v1, with fake serving, registry and webhook. */
  const rolloutWith = async (
    serving: FakeServing,
    rollout: Record<string, unknown>,
    extra: Partial<ProgressiveRolloutInput> = {},
  ) => {
    const { env } = testStack();
    const endpoint = `wf-${randomUUID().slice(0, 8)}`;
    serving.withServing(endpoint, MODEL, 1);
    const registry = new FakeRegistry(MODEL, 1);
    const notifier = new FakeNotifier();
    const worker = await fakeServingWorker(serving, registry, notifier);
    const result = await worker.runUntil(
      env.client.workflow.execute(progressiveRollout, {
        workflowId: `rollout/${endpoint}`,
        taskQueue: queue,
        args: [
          {
            endpoint,
            model: { name: MODEL, version: 2, artifactUri: 'file:///fake/v2' },
            rollout: rolloutSectionSchema.parse({ endpoint, terminationWait: '1s', ...rollout }),
            actor: 'test',
            ...extra,
          },
        ],
      }),
    );
    return { result, registry, notifier, endpoint };
  };

  it('steps a linear rollout up by stepSize each interval, then promotes and retires the baseline', async () => {
    const serving = new FakeServing(() => healthy());
    const { result, registry, notifier, endpoint } = await rolloutWith(
      serving,
      { strategy: 'linear', stepSize: 25, interval: '1s', bake: '1s', analysisInterval: '1s' },
      { notifications: [{ webhookEnv: 'MLOPS_WEBHOOK_TEST', events: ['succeeded'] }] },
    );
    assert.equal(result.outcome, 'promoted');
    assert.deepEqual(result.steps, [25, 50, 75, 100]);
    assert.deepEqual(serving.trafficSet, [
      { 'churn-wf-v2': 25, 'churn-wf-v1': 75 },
      { 'churn-wf-v2': 50, 'churn-wf-v1': 50 },
      { 'churn-wf-v2': 75, 'churn-wf-v1': 25 },
      { 'churn-wf-v2': 100 },
      // set once more as it promotes
      { 'churn-wf-v2': 100 },
    ]);
    assert.deepEqual(
      result.analyses.map((a) => [a.weight, a.verdict]),
      [
        [25, 'pass'],
        [50, 'pass'],
        [75, 'pass'],
        [100, 'pass'],
      ],
    );
    assert.equal(registry.champion, 2);
    assert.deepEqual(registry.statuses, [
      [2, 'production'],
      [1, 'archived'],
    ]);
    assert.deepEqual(serving.undeployed, ['churn-wf-v1']);
    assert.deepEqual(
      notifier.sent.map((n) => [n.event, n.webhookEnv, n.title]),
      [['succeeded', 'MLOPS_WEBHOOK_TEST', `churn-wf v2 promoted on ${endpoint}`]],
    );
  });

  it('extends the bake while windows have too few requests, and rolls back after maxBakeExtensions', async () => {
    const serving = new FakeServing(() => healthy(3));
    const { result, registry } = await rolloutWith(serving, {
      steps: [50, 100],
      bake: '2s',
      analysisInterval: '1s',
      minRequests: 50,
      maxBakeExtensions: 2,
    });
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.phase, 'rolled-back');
    assert.match(result.reason ?? '', /analysis: still inconclusive after 2 bake extensions \(too few requests\)/);
    assert.equal(result.extensions, 2);
    // the 2 s bake and two 2 s extensions: six inconclusive windows, all at 50%
    assert.deepEqual(
      result.analyses.map((a) => [a.weight, a.verdict]),
      Array.from({ length: 6 }, () => [50, 'inconclusive']),
    );
    assert.match(result.analyses[0]!.checks[0]!.message, /3 requests < 50 needed to judge/);
    assert.deepEqual(serving.trafficSet, [{ 'churn-wf-v2': 50, 'churn-wf-v1': 50 }, { 'churn-wf-v1': 100 }]);
    assert.deepEqual(result.weights, { 'churn-wf-v1': 100 });
    assert.deepEqual(serving.undeployed, ['churn-wf-v2']);
    assert.deepEqual(registry.statuses, [[2, 'rolled-back']]);
    assert.equal(registry.champion, 1);
  });

  it('rolls back when the prediction PSI against the baseline stays over maxPredictionPsi, notifying once', async () => {
    // the candidate predicts from a distribution shifted by half its range
    const shifted = (): VariantMetrics => ({
      ...healthy(),
      predictions: Array.from({ length: 60 }, (_, i) => 0.5 + (i + 0.5) / 60),
    });
    const serving = new FakeServing((variant) => (variant === 'churn-wf-v2' ? shifted() : healthy()));
    const { result, registry, notifier, endpoint } = await rolloutWith(
      serving,
      { steps: [20, 100], bake: '10s', analysisInterval: '1s', maxPredictionPsi: 0.2, failureLimit: 2 },
      { notifications: [{ webhookEnv: 'MLOPS_WEBHOOK_TEST' }], pipeline: 'churn' },
    );
    assert.equal(result.outcome, 'rolled-back');
    assert.match(result.reason ?? '', /analysis: 2 failed analyses in a row: prediction PSI \d+\.\d{3} > 0\.2/);
    assert.deepEqual(
      result.analyses.map((a) => [a.weight, a.verdict]),
      [
        [20, 'fail'],
        [20, 'fail'],
      ],
    );
    assert.deepEqual(
      result.analyses[0]!.checks.filter((c) => !c.passed).map((c) => c.check),
      ['predictionPsi'],
    );
    assert.deepEqual(serving.trafficSet, [{ 'churn-wf-v2': 20, 'churn-wf-v1': 80 }, { 'churn-wf-v1': 100 }]);
    assert.deepEqual(serving.undeployed, ['churn-wf-v2']);
    assert.deepEqual(registry.statuses, [[2, 'rolled-back']]);
    assert.equal(registry.champion, 1);
    assert.equal(notifier.sent.length, 1, JSON.stringify(notifier.sent));
    const [notice] = notifier.sent;
    assert.equal(notice!.event, 'rejected');
    assert.equal(notice!.pipeline, 'churn');
    assert.equal(notice!.run, `rollout/${endpoint}`);
    assert.equal(notice!.title, `churn-wf v2 rolled back on ${endpoint}`);
    assert.equal(notice!.text, result.reason);
    assert.deepEqual(notice!.fields, {
      endpoint,
      candidate: 'churn-wf v2 (churn-wf-v2)',
      traffic: 'churn-wf-v1 100%',
      by: 'test',
    });
    await recordHistory('rollout-psi-rolled-back-notified', `rollout/${endpoint}`);
  });

  it("posts a retrain's rollout rollback once: the rollout's notice, not a second one from the run", async () => {
    const { env } = testStack();
    const endpoint = `wf-${randomUUID().slice(0, 8)}`;
    const serving = new FakeServing((variant) =>
      variant === 'churn-wf-v2' ? { ...healthy(), errorRate: 0.5 } : healthy(),
    ).withServing(endpoint, MODEL, 1);
    const registry = new FakeRegistry(MODEL, null);
    const notifier = new FakeNotifier();
    const FakePipelineSteps = passingRetrainSteps('churn-wf', 2);
    const spec = pipelineSpecSchema.parse({
      ...passingRetrainSpec('churn-wf', MODEL, {
        endpoint,
        steps: [50, 100],
        bake: '10s',
        analysisInterval: '1s',
        minRequests: 5,
      }),
      notifications: { webhookEnv: 'MLOPS_WEBHOOK_TEST' },
    });
    const worker = await fakeServingWorker(serving, registry, notifier, FakePipelineSteps);
    const run = `retrain/churn-wf/${randomUUID().slice(0, 8)}`;
    const result = await worker.runUntil(
      env.client.workflow.execute(retrainPipeline, {
        workflowId: run,
        taskQueue: queue,
        args: [{ spec, trigger: 'manual', actor: 'test', trainingTaskQueue: queue }],
      }),
    );
    assert.equal(result.outcome, 'rolled-back');
    assert.deepEqual(serving.trafficSet, [{ 'churn-wf-v2': 50, 'churn-wf-v1': 50 }, { 'churn-wf-v1': 100 }]);
    assert.deepEqual(registry.statuses, [
      [2, 'approved'],
      [2, 'rolled-back'],
    ]);
    assert.deepEqual(
      notifier.sent.map((n) => [n.event, n.run, n.title]),
      [
        ['started', run, 'Retrain of churn-wf started'],
        ['rejected', `rollout/${endpoint}`, `churn-wf v2 rolled back on ${endpoint}`],
      ],
    );
    const [, notice] = notifier.sent;
    assert.equal(notice!.pipeline, 'churn-wf');
    assert.equal(notice!.fields?.by, `pipeline:${run}`);
    assert.match(notice!.text, /2 failed analyses in a row: error rate 50\.00% > 1\.00%/);
    await recordHistory('retrain-rollout-rolled-back-notified', run);
  });
});
