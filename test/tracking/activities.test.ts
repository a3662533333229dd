/** The tracking activities as a worker runs them (MockActivityEnvironment): retries de-duplicated, typed failures. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createBlobStore } from '../../activities/storage';
import { createTrackingActivities, ExperimentTracker, type TrackingActivities } from '../../activities/tracking';
import type { BlobStore } from '../../activities/storage/types';
import { activityEnv } from '../registry/activity-env';

const ref = { pipeline: 'churn', run: 'sweep/retrain/churn/2026-11-27T05:42:28.992Z' };

describe('tracking activities', function () {
  let root: string;
  let store: BlobStore;
  let acts: TrackingActivities;

  beforeEach(async function () {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-track-acts-'));
    store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
    acts = createTrackingActivities({ store });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('tracks a run through its trials, and writes a retried logMetrics attempt once', async function () {
    const env = activityEnv({
      activityId: '7',
      workflowExecution: { workflowId: 'trial/sweep/1', runId: 'run-abc' },
    });
    await env.run(acts.startRun, { ...ref, params: { strategy: 'grid' } });
    for (const trial of [0, 1]) await env.run(acts.startTrial, { ...ref, trial, params: { lr: 0.1 * (trial + 1) } });
    const points = [0, 1, 2].map((step) => ({ name: 'val_auc', step, value: 0.7 + step / 100 }));
    await env.run(acts.logMetrics, { ...ref, trial: 0, points });
    // The same activity's next attempt (its completion was lost): same workflow run and activity id.
    const retry = activityEnv({
      activityId: '7',
      attempt: 2,
      workflowExecution: { workflowId: 'trial/sweep/1', runId: 'run-abc' },
    });
    await retry.run(acts.logMetrics, { ...ref, trial: 0, points });
    const read = await new ExperimentTracker(store).readMetrics(ref.pipeline, ref.run, 0, 'val_auc');
    assert.deepEqual(
      read.map((p) => p.step),
      [0, 1, 2],
    );

    await env.run(acts.finishTrial, { ...ref, trial: 0, metrics: { val_auc: 0.72 }, status: 'succeeded' });
    await env.run(acts.finishTrial, { ...ref, trial: 1, metrics: { val_auc: 0.75 }, status: 'succeeded' });
    const best = await env.run(acts.listTrials, { ...ref, sortBy: 'val_auc', order: 'desc', limit: 1 });
    assert.deepEqual(
      best.map((t) => [t.trial, t.metrics.val_auc]),
      [[1, 0.75]],
    );
    assert.equal((await env.run(acts.finishRun, { ...ref, status: 'succeeded' })).status, 'succeeded');
  });

  it('fails non-retryably with a stable type when the run or trial is unknown or an argument is wrong', async function () {
    const env = activityEnv();
    const expectFailure = async (promise: Promise<unknown>, type: string) =>
      assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure, String(error));
        assert.deepEqual([error.type, error.nonRetryable], [type, true]);
        return true;
      });
    await expectFailure(env.run(acts.startTrial, { ...ref, trial: 0, params: {} }), 'RunNotFound');
    await env.run(acts.startRun, ref);
    await expectFailure(env.run(acts.logMetrics, { ...ref, trial: 3, points: [] }), 'TrialNotFound');
    await expectFailure(env.run(acts.finishRun, { ...ref, status: 'done' as 'succeeded' }), 'InvalidArgument');
    await expectFailure(env.run(acts.startRun, { pipeline: '../x', run: 'r' }), 'InvalidName');
  });
});
