/**
 * `modelMonitor` against stub activities on the shared dev server: the test decides when a window's
 * computation finishes (so it can pause the monitor while one is under way) and whether it drifts,
 * which model is the champion, and when the drift retrains the monitor starts end. A spec naming a
 * `workflow` (a pipeline written in TypeScript) has its drift retrains start that workflow, run by a
 * worker that bundles examples/forecast/workflows.ts as `mlops worker --workflows` does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { parse } from 'yaml';
import { createMonitoringActivities, type DriftWindowResult } from '../../activities/monitoring/activities';
import type { DriftWindowInput } from '../../activities/monitoring/window';
import type { PipelineInput } from '../../common/pipeline-start';
import { pipelineSpecSchema, type PipelineSpec } from '../../common/schemas/spec';
import { MlPipeline, MlTrigger } from '../../common/search-attributes';
import { REPO_ROOT } from '../../lib/tools';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import {
  modelMonitor,
  monitorStatusQuery,
  pauseMonitorUpdate,
  resumeMonitorUpdate,
  type MonitorStatus,
} from '../../workflows/model-monitor';
import { recordHistory } from '../support/histories';
import { testStack, workflowBundle } from '../support/stack';
import { uniqueQueue } from '../support/worker';

const decision = { actor: 'alice', reason: 'planned maintenance' };

describe('modelMonitor', function () {
  this.timeout(60_000);
  const id = randomUUID().slice(0, 8);
  const queue = uniqueQueue('monitor');
  const churn = parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml'), 'utf8')) as object;
  const specWith = (monitoring: object): PipelineSpec =>
    pipelineSpecSchema.parse({
      ...churn,
      name: `monitor-${id}`,
      notifications: undefined,
      schedule: undefined,
      monitoring: { interval: '1s', minSamples: 10, ...monitoring },
    });
  const spec = specWith({ consecutiveWindows: 1, retrain: { enabled: true, cooldown: '0s' } });

  const champions = {
    1: { version: 1, trainingSnapshot: { dataset: 'churn', id: 'c'.repeat(64) } },
    2: { version: 2, trainingSnapshot: { dataset: 'churn', id: 'd'.repeat(64) } },
  };
  /** The model registry's champion. */
  let champion: (typeof champions)[1 | 2] = champions[1];
  /** Windows asked for, each finishing when the test releases it (drifting unless told otherwise). */
  let asked: { input: DriftWindowInput; release: (drifts?: boolean) => void }[] = [];
  /** Every window asked for, in order. */
  let inputs: DriftWindowInput[] = [];
  /** Windows finish as soon as asked for, drifting. */
  let autoRelease = false;
  /** The drift retrains run here too, until this opens; then they fail (no tracking in this test). */
  let retrainsMayEnd: Promise<void> = Promise.resolve();
  let letRetrainsEnd = () => {};
  /** From now on the drift retrains run until `letRetrainsEnd()`. */
  const holdRetrains = () => {
    retrainsMayEnd = new Promise((r) => (letRetrainsEnd = r));
  };
  const activities = {
    async findChampion() {
      return { model: spec.model, ...champion, metrics: { accuracy: 0.8 } };
    },
    async computeDriftWindow(input: DriftWindowInput): Promise<DriftWindowResult> {
      inputs.push(input);
      const drifts = autoRelease
        ? true
        : await new Promise<boolean>((r) => asked.push({ input, release: (d = true) => r(d) }));
      const drifted = drifts ? ['monthly_charges', 'support_calls', 'plan'] : [];
      return {
        from: input.from,
        to: input.to,
        captured: 500,
        samples: 500,
        judged: true,
        features: drifted.map((column) => ({
          column,
          kind: column === 'plan' ? 'categorical' : 'numeric',
          psi: 0.4,
          js: 0.3,
          psiFloor: 0.05,
          jsFloor: 0.05,
          ksPvalue: column === 'plan' ? undefined : 1e-6,
          chi2Pvalue: column === 'plan' ? 1e-5 : undefined,
          breached: ['psi'],
          drifts: true,
        })),
        drifted,
        share: drifted.length / 7,
        drifts,
        summary: drifts ? '3/7 features drift (monthly_charges, support_calls, plan): DRIFT' : 'no drift',
        detailsKey: `monitoring/${input.endpoint}/windows/x.json`,
        report: `file:///store/reports/monitoring/${input.endpoint}/x.html`,
      };
    },
    async runningRetrains() {
      return [];
    },
    retrainClosedAt: createMonitoringActivities({ store: undefined as never }).retrainClosedAt,
    async startRun(): Promise<never> {
      await retrainsMayEnd;
      throw ApplicationFailure.nonRetryable('no tracking in this test');
    },
    async finishRun() {
      return {};
    },
  };

  const withMonitor = async (
    endpoint: string,
    fn: (status: () => Promise<MonitorStatus>) => Promise<void>,
    options: { spec?: PipelineSpec; maxWindowsPerRun?: number; workflowCode?: string } = {},
  ) => {
    const { env } = testStack();
    asked = [];
    inputs = [];
    autoRelease = false;
    champion = champions[1];
    retrainsMayEnd = Promise.resolve();
    letRetrainsEnd = () => {};
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue: queue,
      workflowBundle: options.workflowCode ? { code: options.workflowCode } : await workflowBundle(),
      activities,
    });
    const handle = await env.client.workflow.start(modelMonitor, {
      workflowId: `monitor/${endpoint}-${id}`,
      taskQueue: queue,
      args: [
        {
          endpoint,
          spec: options.spec ?? spec,
          trainingTaskQueue: `${queue}-training`,
          actor: 'test',
          maxWindowsPerRun: options.maxWindowsPerRun,
        },
      ],
    });
    const cleanUp = async () => {
      const status = await handle.query(monitorStatusQuery).catch(() => undefined);
      autoRelease = true;
      await handle.terminate('test done').catch(() => undefined);
      for (const retrain of status?.retrains ?? [])
        await env.client.workflow
          .getHandle(retrain)
          .terminate('test done')
          .catch(() => undefined);
      // windows and retrains still under way finish, so the worker can shut down
      for (const window of asked.splice(0)) window.release();
      letRetrainsEnd();
    };
    // cleaned up while the worker runs: it waits for activities under way before shutting down
    await worker.runUntil(fn(() => handle.query(monitorStatusQuery)).finally(cleanUp));
  };

  /** Polls `probe` until it returns a value. */
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      assert.ok(Date.now() < deadline, `gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
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

  it("starts the spec's workflow (a pipeline in TypeScript) as the drift retrain, with the spec as its input", async () => {
    const { code } = await buildWorkflowBundle([path.join(REPO_ROOT, 'examples', 'forecast', 'workflows.ts')]);
    const coded = pipelineSpecSchema.parse({ ...spec, workflow: 'forecastPipeline' });
    await withMonitor(
      'coded',
      async (status) => {
        holdRetrains();
        (await nextWindow()).release();
        const retrain = await waitFor('the drift retrain', async () => (await status()).retrains[0]);
        const handle = testStack().env.client.workflow.getHandle(retrain);
        const described = await handle.describe();
        assert.equal(described.type, 'forecastPipeline');
        assert.equal(described.status.name, 'RUNNING', 'the worker runs the code pipeline');
        // found by its pipeline and trigger, though a code pipeline need set neither itself
        assert.equal(described.typedSearchAttributes.get(MlPipeline), coded.name);
        assert.equal(described.typedSearchAttributes.get(MlTrigger), 'drift');
        const history = await handle.fetchHistory();
        const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        assert.ok(payload, 'the retrain has an input');
        const input = defaultPayloadConverter.fromPayload<PipelineInput>(payload);
        assert.deepEqual(input.spec, JSON.parse(JSON.stringify(coded)));
        assert.deepEqual(
          [input.trigger, input.actor, input.trainingTaskQueue],
          ['drift', 'monitor/coded', `${queue}-training`],
        );
        assert.match(input.reason ?? '', /^drift on coded: 3\/7 features drift/);
      },
      { spec: coded, workflowCode: code },
    );
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

  it('keeps the cooldown from the end of the retrain it started, not its start', async () => {
    const cooldownSpec = specWith({ consecutiveWindows: 1, retrain: { enabled: true, cooldown: '3s' } });
    await withMonitor(
      'cooldown',
      async (status) => {
        holdRetrains();
        autoRelease = true;
        const first = await waitFor('the first retrain', async () => (await status()).retrains[0]);
        // the retrain runs longer than the cooldown; drifting windows meanwhile see it running
        await new Promise((r) => setTimeout(r, 4_000));
        let s = await status();
        assert.deepEqual(s.retrains, [first]);
        assert.equal(s.lastRetrainEndedAt, undefined);
        assert.ok(s.windows.some((w) => w.action === `drift: ${first} is already running`));
        const windowsBefore = s.windowCount;

        letRetrainsEnd();
        s = await waitFor('the retrain to end', async () => {
          const now = await status();
          return now.lastRetrainEndedAt ? now : undefined;
        });
        const ended = Date.parse(s.lastRetrainEndedAt!);
        const started = Date.parse(first.split('/').at(-1)!);
        assert.ok(ended - started > 3_000, 'the retrain ran longer than the cooldown');
        assert.equal(s.cooldownUntil, new Date(ended + 3_000).toISOString());

        // drift right after it ended: in cooldown; drift after the cooldown: a second retrain
        const second = await waitFor('the second retrain', async () => (await status()).retrains[1]);
        s = await status();
        const inCooldown = s.windows.filter((w) => w.action?.startsWith('drift: in cooldown until'));
        assert.ok(
          inCooldown.length > 0,
          `no window in cooldown: ${JSON.stringify(s.windows.slice(windowsBefore).map((w) => w.action))}`,
        );
        for (const w of inCooldown)
          assert.equal(
            w.action,
            `drift: in cooldown until ${new Date(ended + 3_000).toISOString()} (3s after ${first} ended)`,
          );
        const secondStarted = Date.parse(second.split('/').at(-1)!);
        assert.ok(secondStarted >= ended + 3_000, 'the second retrain started after the cooldown');
        assert.ok(s.windows.some((w) => w.action === `retrain started: ${second}`));
        await recordHistory('monitor-cooldown-from-retrain-end', `monitor/cooldown-${id}`);
      },
      { spec: cooldownSpec },
    );
  });

  it('judges against a new champion: the baseline follows v2 and its dataset snapshot', async () => {
    const quiet = specWith({ consecutiveWindows: 3, retrain: { enabled: false, cooldown: '0s' } });
    await withMonitor(
      'baseline',
      async (status) => {
        autoRelease = true;
        let s = await waitFor('a window against v1', async () => {
          const now = await status();
          return now.windowCount >= 2 ? now : undefined;
        });
        assert.deepEqual(s.baseline, { model: spec.model, version: 1, dataset: 'churn', snapshot: 'c'.repeat(64) });
        assert.ok(s.consecutive > 0);

        champion = champions[2];
        s = await waitFor('the baseline to become v2', async () => {
          const now = await status();
          return now.baseline?.version === 2 ? now : undefined;
        });
        assert.equal(s.baseline!.snapshot, 'd'.repeat(64));
        // this monitor's windows only: a monitor another test stopped may still have one in flight
        const mine = () => inputs.filter((i) => i.endpoint === 'baseline');
        // the status can show v2 before a window against it has started: wait for that window
        const switchedAt = await waitFor('a window against v2', async () => {
          const at = mine().findIndex((i) => i.version === 2);
          return at >= 0 ? at : undefined;
        });
        await waitFor('two windows against v2', async () => mine().length >= switchedAt + 2);
        const windows = mine();
        for (const i of windows.slice(0, switchedAt)) assert.equal(i.baseline.snapshot, 'c'.repeat(64));
        for (const i of windows.slice(switchedAt)) {
          assert.equal(i.version, 2, `windows against: ${windows.map((w) => `v${w.version}`).join(', ')}`);
          assert.equal(i.baseline.snapshot, 'd'.repeat(64));
          assert.equal(i.baseline.dataset, 'churn');
        }
        // its drift count started over with the new champion
        s = await status();
        assert.ok(s.consecutive <= s.windowCount - switchedAt);
      },
      { spec: quiet },
    );
  });

  it('continues as new after maxWindowsPerRun windows, carrying windows, counts, pause and retrains', async () => {
    const twice = specWith({ consecutiveWindows: 2, retrain: { enabled: true, cooldown: '1h' } });
    const endpoint = 'carried';
    await withMonitor(
      endpoint,
      async (status) => {
        const handle = testStack().env.client.workflow.getHandle(`monitor/${endpoint}-${id}`);
        const firstRun = (await handle.describe()).runId;
        holdRetrains();
        // run 1: two drifting windows start a retrain (which keeps running), then it continues as new
        (await nextWindow()).release();
        (await nextWindow()).release();
        const retrain = await waitFor('the retrain', async () => (await status()).retrains[0]);
        // run 2: a drifting window, then one that finishes after a pause
        (await nextWindow()).release();
        const paused = await nextWindow();
        await handle.executeUpdate(pauseMonitorUpdate, { args: [decision] });
        paused.release();
        const s = await waitFor('the fourth window', async () => {
          const now = await status();
          return now.windows.length === 4 ? now : undefined;
        });
        // visibility lags a continue-as-new: list until the third run shows (or the wait gives up)
        const listRuns = async () => {
          const runs: string[] = [];
          for await (const wf of testStack().env.client.workflow.list({
            query: `WorkflowId = 'monitor/${endpoint}-${id}'`,
          }))
            runs.push(wf.runId);
          return runs;
        };
        await waitFor('three runs in visibility', async () => ((await listRuns()).length >= 3 ? true : undefined));
        assert.equal((await listRuns()).length, 3, 'two continue-as-new after two windows each');
        const { runId, status: running } = await handle.describe();
        assert.notEqual(runId, firstRun);
        assert.equal(running.name, 'RUNNING');
        assert.equal(
          (await testStack().env.client.workflow.getHandle(handle.workflowId, firstRun).describe()).status.name,
          'CONTINUED_AS_NEW',
        );

        assert.equal(s.phase, 'paused');
        assert.equal(s.windows.length, 4);
        assert.deepEqual(
          s.windows.map((w) => w.action),
          [undefined, `retrain started: ${retrain}`, undefined, 'monitor paused: not counted'],
        );
        assert.equal(s.consecutive, 1);
        assert.deepEqual(s.baseline, { model: spec.model, version: 1, dataset: 'churn', snapshot: 'c'.repeat(64) });
        assert.deepEqual(s.retrains, [retrain]);
        assert.equal(s.lastRetrainAt, retrain.split('/').at(-1));
        assert.equal(s.lastRetrainEndedAt, undefined);
        assert.deepEqual(s.windows[1]!.scores!.plan, { psi: 0.4, js: 0.3, chi2Pvalue: 1e-5 });
        await new Promise((r) => setTimeout(r, 1_500));
        assert.equal(asked.length, 0, 'no window while paused');

        // run 3, resumed: the carried count reaches two; the retrain an earlier run started still runs
        await handle.executeUpdate(resumeMonitorUpdate, { args: [decision] });
        (await nextWindow()).release();
        // (a window joins the list once its action is decided)
        await waitFor('the fifth window', async () => (await status()).windows.length === 5);
        assert.equal((await status()).windows.at(-1)!.action, `drift: ${retrain} is already running`);

        // it ends; the next drift asks the server when, and the cooldown runs from there
        letRetrainsEnd();
        const closed = await waitFor('the retrain to close', async () => {
          const d = await testStack().env.client.workflow.getHandle(retrain).describe();
          return d.closeTime;
        });
        (await nextWindow()).release();
        (await nextWindow()).release();
        const last = await waitFor('the seventh window', async () => {
          const now = await status();
          return now.windows.length === 7 ? now : undefined;
        });
        assert.equal(last.lastRetrainEndedAt, closed.toISOString());
        const until = new Date(closed.getTime() + 3_600_000).toISOString();
        assert.equal(last.cooldownUntil, until);
        assert.equal(last.windows.at(-1)!.action, `drift: in cooldown until ${until} (1h after ${retrain} ended)`);
        assert.deepEqual(last.retrains, [retrain]);
        await recordHistory('monitor-continued-as-new', handle.workflowId);
      },
      { spec: twice, maxWindowsPerRun: 2 },
    );
  });
});
