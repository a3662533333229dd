/**
 * `modelMonitor` against stub activities on the shared dev server: every window drifts, and the test
 * decides when a window's computation finishes, so it can pause the monitor while one is under way.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { parse } from 'yaml';
import type { DriftWindowResult } from '../../activities/monitoring/activities';
import type { DriftWindowInput } from '../../activities/monitoring/window';
import { pipelineSpecSchema } from '../../common/spec';
import { REPO_ROOT } from '../../infra/dev/tools';
import {
  modelMonitor,
  monitorStatusQuery,
  pauseMonitorUpdate,
  resumeMonitorUpdate,
  type MonitorStatus,
} from '../../workflows/model-monitor';
import { testStack, workflowBundle } from '../support/stack';
import { uniqueQueue } from '../support/worker';

const decision = { actor: 'alice', reason: 'planned maintenance' };

describe('modelMonitor', function () {
  this.timeout(60_000);
  const id = randomUUID().slice(0, 8);
  const queue = uniqueQueue('monitor');
  const spec = pipelineSpecSchema.parse({
    ...(parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml'), 'utf8')) as object),
    name: `monitor-${id}`,
    notifications: undefined,
    schedule: undefined,
    monitoring: { interval: '1s', minSamples: 10, consecutiveWindows: 1, retrain: { enabled: true, cooldown: '0s' } },
  });

  /** Windows asked for, each finishing (drifting) when the test releases it. */
  let asked: { input: DriftWindowInput; release: () => void }[] = [];
  const activities = {
    async findChampion() {
      return {
        model: spec.model,
        version: 1,
        trainingSnapshot: { dataset: 'churn', id: 'c'.repeat(64) },
        metrics: { accuracy: 0.8 },
      };
    },
    async computeDriftWindow(input: DriftWindowInput): Promise<DriftWindowResult> {
      await new Promise<void>((release) => asked.push({ input, release }));
      return {
        from: input.from,
        to: input.to,
        captured: 500,
        samples: 500,
        judged: true,
        features: [],
        drifted: ['monthly_charges', 'support_calls', 'plan'],
        share: 3 / 7,
        drifts: true,
        summary: '3/7 features drift (monthly_charges, support_calls, plan): DRIFT',
        detailsKey: `monitoring/${input.endpoint}/windows/x.json`,
        report: `file:///store/reports/monitoring/${input.endpoint}/x.html`,
      };
    },
    async runningRetrains() {
      return [];
    },
    // the drift retrains it starts run here too: they fail at once, which the monitor does not wait for
    async startRun(): Promise<never> {
      throw ApplicationFailure.nonRetryable('no tracking in this test');
    },
    async finishRun() {
      return {};
    },
  };

  const withMonitor = async (endpoint: string, fn: (status: () => Promise<MonitorStatus>) => Promise<void>) => {
    const { env } = testStack();
    asked = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: queue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    const handle = await env.client.workflow.start(modelMonitor, {
      workflowId: `monitor/${endpoint}-${id}`,
      taskQueue: queue,
      args: [{ endpoint, spec, trainingTaskQueue: `${queue}-training`, actor: 'test' }],
    });
    const cleanUp = async () => {
      const status = await handle.query(monitorStatusQuery).catch(() => undefined);
      await handle.terminate('test done').catch(() => undefined);
      for (const retrain of status?.retrains ?? [])
        await env.client.workflow
          .getHandle(retrain)
          .terminate('test done')
          .catch(() => undefined);
      // windows still under way finish, so the worker can shut down
      for (const window of asked.splice(0)) window.release();
    };
    // cleaned up while the worker runs: it waits for activities under way before shutting down
    await worker.runUntil(fn(() => handle.query(monitorStatusQuery)).finally(cleanUp));
  };

  /** Waits until the monitor asks for a window; returns it. */
  const nextWindow = async () => {
    const deadline = Date.now() + 10_000;
    while (asked.length === 0) {
      assert.ok(Date.now() < deadline, 'no window asked for');
      await new Promise((r) => setTimeout(r, 20));
    }
    return asked.shift()!;
  };

  it('starts a drift retrain after a drifting window (consecutiveWindows 1)', async () => {
    await withMonitor('watched', async (status) => {
      (await nextWindow()).release();
      const deadline = Date.now() + 10_000;
      while ((await status()).retrains.length === 0) {
        assert.ok(Date.now() < deadline, 'no retrain');
        await new Promise((r) => setTimeout(r, 100));
      }
      const s = await status();
      assert.equal(s.retrains.length, 1);
      assert.match(s.windows[0]!.action!, /^retrain started: retrain\/monitor-/);
    });
  });

  it('starts nothing for a window that finishes after a pause, and does not count it', async () => {
    await withMonitor('paused', async (status) => {
      const window = await nextWindow();
      const handle = testStack().env.client.workflow.getHandle(`monitor/paused-${id}`);
      assert.equal((await handle.executeUpdate(pauseMonitorUpdate, { args: [decision] })).phase, 'paused');
      window.release();
      const deadline = Date.now() + 10_000;
      while ((await status()).windowCount === 0) {
        assert.ok(Date.now() < deadline, 'the window never finished');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      const s = await status();
      assert.equal(s.phase, 'paused');
      assert.deepEqual(s.retrains, [], 'no retrain while paused');
      assert.equal(s.consecutive, 0);
      assert.equal(s.windows.length, 1);
      assert.match(s.windows[0]!.action ?? '', /paused/);
      assert.equal(asked.length, 0, 'no window while paused');

      // resumed, drift is judged (and acted on) again
      await handle.executeUpdate(resumeMonitorUpdate, { args: [decision] });
      (await nextWindow()).release();
      const until = Date.now() + 10_000;
      while ((await status()).retrains.length === 0) {
        assert.ok(Date.now() < until, 'no retrain after resuming');
        await new Promise((r) => setTimeout(r, 100));
      }
    });
  });
});
