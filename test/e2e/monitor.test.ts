/**
 * The drift monitor end to end: a real churn model served by the model server behind the real gateway as
 * the champion (registered with a real training snapshot), `mlops monitor start` with a pipeline
 * spec built from the churn example, and live traffic through the gateway — first rows like the
 * training data, then drifted ones. The drift retrain it starts trains with a command that only
 * sleeps, so it is still running when the drift goes on.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { ActivityDeps } from '../../activities';
import { snapshotDataset } from '../../activities/data';
import { ModelRegistry } from '../../activities/registry';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { REPO_ROOT } from '../../lib/tools';
import {
  monitorStatusQuery,
  pauseMonitorUpdate,
  resumeMonitorUpdate,
  type MonitorStatus,
} from '../../workflows/model-monitor';
import { trainChurnModel } from '../support/churn-model';
import { cliEnv, runCli } from '../support/cli';
import { startFakeWebhook, type WebhookPost } from '../support/fake-webhook';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic, type Traffic } from '../support/traffic';
import { startTestServing, type TestServing } from '../support/serving';
import { testDeps, testS3Store, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const MODEL = 'churn-mon';
const PIPELINE = 'churn-mon';
const ENDPOINT = 'mon';
const WEBHOOK_ENV = 'MLOPS_WEBHOOK_E2E_MONITOR';

type Row = Record<string, string | number>;

function generate(out: string, drift: number, seed: number): Row[] {
  execFileSync(
    PYTHON,
    [
      'examples/churn/generate_data.py',
      '--rows',
      '5000',
      '--seed',
      String(seed),
      '--drift',
      String(drift),
      '--out',
      out,
    ],
    { cwd: REPO_ROOT },
  );
  const [header, ...lines] = fs.readFileSync(path.join(out, 'holdout.csv'), 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) =>
    Object.fromEntries(
      line.split(',').map((cell, i) => [names[i]!, /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell]),
    ),
  );
}

describe('the drift monitor, end to end with the model server behind the gateway', function () {
  this.timeout(240_000);
  const prefix = `e2e-monitor-${randomUUID().slice(0, 8)}`;
  let store: BlobStore;
  let serving: TestServing;
  let deps: ActivityDeps;
  let env: NodeJS.ProcessEnv;
  let specFile: string;
  let stable: Row[];
  let drifted: Row[];
  let traffic: Traffic | undefined;
  /** What the monitor posted to its webhook (the in-process worker reads the URL from WEBHOOK_ENV). */
  let posts: WebhookPost[];
  const teardown = suiteTeardown();

  const cli = (...args: string[]) => runCli(args, env, 60_000);
  // the workflows, and the serving host's activities on their own queue
  const withWorkers = <T>(fn: () => Promise<T>) =>
    withWorker(env.MLOPS_TASK_QUEUE!, deps, () =>
      withWorker(env.MLOPS_SERVING_TASK_QUEUE!, deps, fn, { workflows: false }),
    );
  const json = async (...args: string[]) => {
    const r = await cli('--json', ...args);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  const status = async (): Promise<MonitorStatus> => {
    const r = await json('monitor', 'status', ENDPOINT);
    assert.equal(r.code, 0, r.stderr);
    return r.body as MonitorStatus;
  };
  const waitForStatus = async (what: string, done: (s: MonitorStatus) => boolean, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if (done(s)) return s;
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(s.windows.map((w) => [w.summary, w.action]))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  /** The pipeline's drift retrains, as visibility lists them. */
  const driftRetrains = async () => {
    const ids: string[] = [];
    for await (const wf of testStack().env.client.workflow.list({
      query: `WorkflowType = 'retrainPipeline' AND MlPipeline = '${PIPELINE}' AND MlTrigger = 'drift'`,
    }))
      ids.push(wf.workflowId);
    return ids;
  };

  /** Requests of 10 rows through the gateway (about 15 a second), the rows taken in turn from `rows()`. */
  const sendRows = (rows: () => Row[]) =>
    startTraffic(
      serving.gateway.url,
      ENDPOINT,
      (i) => {
        const all = rows();
        const start = (i * 10) % (all.length - 10);
        return JSON.stringify(toInferenceRequest(all.slice(start, start + 10)));
      },
      60,
    );

  before(async function () {
    store = testS3Store(prefix);
    const { tmpDir } = testStack();
    const home = fs.mkdtempSync(path.join(tmpDir, 'monitor-home-'));
    serving = await teardown.start(
      'the gateway',
      () => startTestServing(store, home),
      (s) => s.stop(),
    );
    teardown.add('the monitor and its retrains', stopWorkflows);
    teardown.add('the traffic', () => traffic?.stop());
    deps = { ...testDeps(store), servingBackend: serving.backend() };
    env = cliEnv(prefix, { ...serving.env, MLOPS_HOME: home });

    const data = path.join(tmpDir, `${prefix}-data`);
    stable = generate(data, 0, 1).map(({ customer_id: _id, churned: _label, ...features }) => features);
    drifted = generate(path.join(tmpDir, `${prefix}-drifted`), 0.9, 2).map(
      ({ customer_id: _id, churned: _label, ...features }) => features,
    );
    const snapshot = await snapshotDataset(store, { dataset: 'churn', source: data });
    const trained = await trainChurnModel(store, `${prefix}-model`, fs.mkdtempSync(path.join(tmpDir, 'mon-')));
    const registry = new ModelRegistry(store);
    const { version } = await registry.registerModel({
      model: MODEL,
      artifactUri: trained.artifactUri,
      metrics: { auc: 0.8, accuracy: 0.8 },
      params: {},
      trainingSnapshot: { dataset: 'churn', id: snapshot.id },
      codeVersion: 'sha256:test',
      pipelineRun: `retrain/${PIPELINE}/1`,
      trigger: 'manual',
    });
    await registry.setStatus(MODEL, version, 'approved', { actor: 'alice', reason: 'for the monitor test' });

    // the example's spec, pointed at this run's data and endpoint, with a monitoring policy
    const spec = parseDocument(fs.readFileSync(path.join(EXAMPLE, 'pipeline.yaml'), 'utf8'));
    spec.set('name', PIPELINE);
    spec.set('model', MODEL);
    spec.setIn(['dataset', 'source'], data);
    spec.setIn(['training', 'codeDir'], EXAMPLE);
    spec.setIn(['training', 'entrypoint'], ['sh', '-c', 'sleep 120']);
    spec.setIn(['evaluation', 'codeDir'], EXAMPLE);
    spec.setIn(['rollout', 'endpoint'], ENDPOINT);
    spec.set('notifications', { webhookEnv: WEBHOOK_ENV, events: ['drift-detected'] });
    spec.delete('schedule');
    spec.set('monitoring', {
      interval: '3s',
      // windows of a few hundred rows: Jensen-Shannon distance over 10 bins is noisy at that size
      // (around 0.1 for rows like the training data), so its threshold is raised from the default
      minSamples: 150,
      thresholds: { js_distance: 0.2 },
      consecutiveWindows: 2,
      retrain: { enabled: true, cooldown: '0s' },
    });
    specFile = path.join(tmpDir, `${prefix}-pipeline.yaml`);
    fs.writeFileSync(specFile, spec.toString());

    const webhook = await teardown.start(
      'the webhook',
      () => startFakeWebhook(`/hooks/${prefix}`),
      (w) => {
        delete process.env[WEBHOOK_ENV];
        return w.close();
      },
    );
    posts = webhook.posts;
    process.env[WEBHOOK_ENV] = webhook.url;
  });

  /** Terminates the monitor and the drift retrains it started, if still running. */
  const stopWorkflows = async () => {
    const client = testStack().env.client;
    await client.workflow
      .getHandle(`monitor/${ENDPOINT}`)
      .terminate('test cleanup')
      .catch(() => undefined);
    for (const id of await driftRetrains().catch(() => [] as string[]))
      await client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
  };

  it('judges windows without drift, starts exactly one drift retrain when drift persists, and can be paused and stopped', async () => {
    await withWorkers(async () => {
      const deployed = await json('deploy', MODEL, '1', '--endpoint', ENDPOINT, '--wait');
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.equal(deployed.body.outcome, 'promoted');
      // captures reach the store within a second (the default batches wait up to 10 s)
      const current = (await serving.admin.getEndpoint(ENDPOINT))!;
      await serving.admin.putEndpoint(ENDPOINT, {
        variants: current.variants,
        weights: current.weights,
        capture: { sampleRate: 1, maxBatch: 500, flushSeconds: 1 },
      });

      const none = await cli('monitor', 'status', ENDPOINT);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no monitor on mon \(start one with mlops monitor start mon\)/);
      const elsewhere = await cli('monitor', 'start', 'other', '--spec', specFile);
      assert.equal(elsewhere.code, 2);
      assert.match(elsewhere.stderr, /rollout\.endpoint is mon, not other/);

      let rows = stable;
      traffic = sendRows(() => rows);
      const started = await json('monitor', 'start', ENDPOINT, '--spec', specFile);
      assert.equal(started.code, 0, started.stderr);
      assert.equal(started.body.workflowId, `monitor/${ENDPOINT}`);
      const again = await cli('monitor', 'start', ENDPOINT, '--spec', specFile);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /mon is already monitored: monitor\/mon is running/);

      // 1. traffic like the training data: judged windows, no drift, no retrain
      const calm = await waitForStatus('three judged windows', (s) => s.windows.filter((w) => w.judged).length >= 3);
      assert.equal(calm.phase, 'watching');
      assert.equal(calm.pipeline, PIPELINE);
      assert.equal(calm.baseline?.version, 1);
      for (const w of calm.windows.filter((w) => w.judged)) {
        assert.ok(w.samples >= 150, w.summary);
        assert.equal(w.drifts, false, `${w.samples} rows: ${w.summary}`);
        assert.match(w.summary, /^\d\/7 features drift/, 'every feature compared');
      }
      assert.equal(calm.consecutive, 0);
      assert.deepEqual(calm.retrains, []);
      assert.deepEqual(await driftRetrains(), []);

      // 2. drifted traffic: one retrain after two drifting windows in a row
      rows = drifted;
      // the window that started it is listed once the drift notice is sent, a moment after the retrain
      const drifting = await waitForStatus(
        'a drift retrain and the window that started it',
        (s) => s.retrains.length > 0 && s.windows.some((w) => w.action?.startsWith('retrain started')),
      );
      assert.equal(drifting.retrains.length, 1);
      const retrainId = drifting.retrains[0]!;
      assert.match(retrainId, /^retrain\/churn-mon\//);
      const trigger = drifting.windows.find((w) => w.action?.startsWith('retrain started'));
      assert.ok(trigger, JSON.stringify(drifting.windows));
      assert.equal(trigger.drifts, true);
      assert.equal(trigger.action, `retrain started: ${retrainId}`);
      for (const column of ['monthly_charges', 'support_calls'])
        assert.ok(trigger.drifted.includes(column), trigger.summary);
      const listed = async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const ids = await driftRetrains();
          if (ids.length > 0 || Date.now() > deadline) return ids;
          await new Promise((r) => setTimeout(r, 300));
        }
      };
      assert.deepEqual(await listed(), [retrainId], 'visibility: one retrain of the pipeline with MlTrigger drift');
      // one drift-detected post, with the window's verdict, what was done and the report
      const alert = posts.find((p) => p.text.includes(`retrain started: ${retrainId}`));
      assert.ok(alert, JSON.stringify(posts));
      assert.match(alert.text, /^Drift on mon\n.*monthly_charges.*: DRIFT\. retrain started/);
      assert.match(alert.text, /reports\/monitoring\/mon\/.*\.html/);
      const retrain = testStack().env.client.workflow.getHandle(retrainId);
      assert.equal((await retrain.describe()).status.name, 'RUNNING');

      // drift goes on: more drifting windows, still one retrain
      const windowsAtRetrain = drifting.windowCount;
      const later = await waitForStatus(
        'two more drifting windows',
        (s) => s.windows.filter((w) => w.drifts && w.to > trigger.to).length >= 2,
      );
      assert.ok(later.windowCount >= windowsAtRetrain + 2);
      assert.deepEqual(later.retrains, [retrainId]);
      assert.deepEqual(await driftRetrains(), [retrainId]);
      const held = later.windows.filter((w) => w.to > trigger.to && w.action);
      assert.ok(held.length >= 1, JSON.stringify(later.windows));
      for (const w of held) assert.equal(w.action, `drift: ${retrainId} is already running`);
      assert.ok(
        posts.some((p) => p.text.includes(`drift: ${retrainId} is already running`)),
        'persisting drift is notified again, naming the running retrain',
      );

      // the drift report of the latest window, in the store
      const report = later.latestReport ?? '';
      assert.ok(report.startsWith(`${store.uri}/reports/monitoring/${ENDPOINT}/`), report);
      const html = (await store.getBytes(report.slice(store.uri.length + 1))).toString('utf8');
      assert.match(html, /<svg/);
      assert.match(html, /DRIFT/);

      const shown = await cli('monitor', 'status', ENDPOINT);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^monitor\/mon \(pipeline churn-mon\): watching, every 3s/);
      assert.match(shown.stdout, /baseline: churn-mon v1, churn snapshot [0-9a-f]{12}/);
      assert.match(shown.stdout, new RegExp(`retrains started: ${retrainId}`));
      assert.match(shown.stdout, /latest report: s3:\/\/.*\.html/);

      // 3. pause and resume, each with a reason
      const noReason = await cli('monitor', 'pause', ENDPOINT);
      assert.notEqual(noReason.code, 0);
      assert.match(noReason.stderr, /--reason/);
      const paused = await json('monitor', 'pause', ENDPOINT, '--reason', 'planned migration', '--actor', 'alice');
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal(paused.body.phase, 'paused');
      const atPause = (await status()).windowCount;
      await new Promise((r) => setTimeout(r, 5_000));
      const whilePaused = await status();
      assert.equal(whilePaused.phase, 'paused');
      assert.ok(whilePaused.windowCount <= atPause + 1, 'no windows judged while paused (one may have been under way)');
      const resumed = await json('monitor', 'resume', ENDPOINT, '--reason', 'migration done', '--actor', 'alice');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.body.phase, 'watching');
      await waitForStatus('a window after resuming', (s) => s.windowCount > whilePaused.windowCount);

      // a short pause between two windows (through the client: quicker than the CLI), so the monitor
      // sleeps through it: the requests served while paused are still never judged
      const handle = testStack().env.client.workflow.getHandle(`monitor/${ENDPOINT}`);
      const counted = (await handle.query(monitorStatusQuery)).windowCount;
      while ((await handle.query(monitorStatusQuery)).windowCount === counted)
        await new Promise((r) => setTimeout(r, 50));
      const decision = { actor: 'alice', reason: 'short maintenance' };
      assert.equal((await handle.executeUpdate(pauseMonitorUpdate, { args: [decision] })).phase, 'paused');
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await handle.executeUpdate(resumeMonitorUpdate, { args: [decision] })).phase, 'watching');
      const resumedAt = new Date().toISOString();
      const afterResume = await waitForStatus('a window begun after resuming', (s) =>
        s.windows.some((w) => w.to > resumedAt),
      );
      const first = afterResume.windows.find((w) => w.to > resumedAt)!;
      // the window starts where watching resumed (less the capture lag: half the 3 s interval)
      const resumedFrom = new Date(Date.parse(resumedAt) - 1_500 - 500).toISOString();
      assert.ok(
        first.from >= resumedFrom,
        `window ${first.from} → ${first.to} reaches back before the resume at ${resumedAt}`,
      );

      // 4. stop: the monitor is cancelled, the retrain it started carries on
      const stopped = await json('monitor', 'stop', ENDPOINT);
      assert.equal(stopped.code, 0, stopped.stderr);
      const monitor = testStack().env.client.workflow.getHandle(`monitor/${ENDPOINT}`);
      const deadline = Date.now() + 10_000;
      while ((await monitor.describe()).status.name === 'RUNNING' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      assert.equal((await monitor.describe()).status.name, 'CANCELLED');
      await recordHistory('monitor-drift-paused-stopped', `monitor/${ENDPOINT}`);
      assert.equal((await retrain.describe()).status.name, 'RUNNING');
      const gone = await cli('monitor', 'stop', ENDPOINT);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no running monitor on mon/);
    });
  });
});
