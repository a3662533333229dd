/**
 * The reports people look at, in a real browser, with the pictures the docs show: the evaluation
 * report of the churn example's real candidate and champion (train.py and evaluate.py run in the
 * venv), a sweep's report of tracked trials, the drift report of a monitor window over captured
 * requests of shifted data (the churn generator's drift), each written by the real report
 * activities into a filesystem store and opened as its `file://` page; and a progressive rollout's
 * page in the Temporal UI (real rollout workflow and analysis, the serving backend a fake).
 *
 * Needs Chromium, like temporal-ui.test.ts. Screenshots go to the OS temp folder;
 * `MLOPS_UPDATE_SCREENSHOTS=1 npx mocha test/ui/reports.test.ts` writes them to docs/img/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { snapshotDataset } from '../../activities/data';
import { createEvaluationActivities } from '../../activities/evaluation';
import { createMonitoringActivities } from '../../activities/monitoring/activities';
import { createReportActivities } from '../../activities/reports';
import { FilesystemBlobStore } from '../../activities/storage';
import { ExperimentTracker } from '../../activities/tracking/tracker';
import { rolloutSectionSchema } from '../../common/schemas/spec';
import { REPO_ROOT } from '../../lib/tools';
import { progressiveRollout } from '../../workflows/progressive-rollout';
import { churnEvaluations } from '../evaluation/churn-evaluations';
import { activityEnv } from '../registry/activity-env';
import { launchChromium, waitForText } from '../support/browser';
import { FakeNotifier } from '../support/fake-notifier';
import { FakeRegistry } from '../support/fake-registry';
import { fakeRolloutWorker } from '../support/rollout-worker';
import { FakeServing } from '../support/fake-serving';
import { capture, churnWindowInput, generate, readRows } from '../support/churn-traffic';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { uniqueQueue } from '../support/worker';

describe('the reports and a rollout, in the browser', function () {
  this.timeout(120_000);
  const teardown = suiteTeardown();
  let browser: Browser;
  let page: Page;
  let store: FilesystemBlobStore;
  let dir: string;

  before(async () => {
    browser = await teardown.start('Chromium', launchChromium, (b) => b.close());
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-ui-reports-'));
    store = new FilesystemBlobStore(path.join(dir, 'store'));
  });

  const open = (key: string) => page.goto(pathToFileURL(path.join(store.layout.root, key)).href);

  it('shows an evaluation report: the decision, the metrics and the ROC curves drawn', async () => {
    const made = await churnEvaluations();
    await store.put('eval/candidate.json', fs.readFileSync(made.candidate.evaluation));
    await store.put('eval/champion.json', fs.readFileSync(made.champion.evaluation));
    const ref = await activityEnv().run(createEvaluationActivities({ store }).writeEvaluationReport, {
      pipeline: 'churn',
      run: 'retrain/churn/2026-11-27T11:40:52.646Z',
      model: 'churn',
      primaryMetric: 'auc',
      direction: 'maximize' as const,
      candidate: { label: 'candidate', evaluationKey: 'eval/candidate.json' },
      champion: { label: 'champion v3', evaluationKey: 'eval/champion.json' },
      decision: { passed: true, reasons: [{ gate: 'minImprovement', passed: true, message: 'auc improves' }] },
      metrics: ['auc', 'log_loss', 'accuracy'],
    });
    await open(ref.key);
    await waitForText(page, /Decision: passed/);
    for (const metric of ['auc', 'log_loss', 'accuracy']) await waitForText(page, metric);
    await assertChartsDrawn(page);
    await saveScreenshot(page, 'evaluation-report.png', true);
  });

  it("shows a sweep report: the leaderboard with the best trial, and the objective's charts", async () => {
    const pipeline = 'churn';
    const run = 'sweep/churn/2026-11-27T12:00:00.000Z';
    const tracker = new ExperimentTracker(store);
    await tracker.startRun({ pipeline, run, params: { algorithm: 'grid' } });
    const trials = [
      { trial: 1, learning_rate: 0.03, max_depth: 3, final: 0.84 },
      { trial: 2, learning_rate: 0.1, max_depth: 4, final: 0.88 },
      { trial: 3, learning_rate: 0.3, max_depth: 6, final: 0.79 },
    ];
    for (const t of trials) {
      const { trial, final, ...params } = t;
      await tracker.startTrial({ pipeline, run, trial, params });
      const points = Array.from({ length: 8 }, (_, i) => ({
        name: 'val_auc',
        step: i + 1,
        value: final - 0.25 * Math.exp(-(i + 1) * params.learning_rate * 4),
      }));
      await tracker.logMetrics(pipeline, run, trial, points);
      await tracker.finishTrial(pipeline, run, trial, { metrics: { val_auc: final }, status: 'succeeded' });
    }
    const ref = await activityEnv().run(createReportActivities({ store }).writeSweepReport, {
      pipeline,
      run,
      objective: { metric: 'val_auc', direction: 'maximize' as const },
      space: {
        learning_rate: { type: 'loguniform' as const, min: 0.01, max: 0.5 },
        max_depth: { type: 'int' as const, min: 2, max: 8, step: 1 },
      },
    });
    await open(ref.key);
    await waitForText(page, /best/);
    await waitForText(page, 'val_auc vs learning_rate');
    await waitForText(page, 'val_auc by step');
    await assertChartsDrawn(page);
    await saveScreenshot(page, 'sweep-report.png', true);
  });

  it('shows a drift report of a window of shifted requests: the drifting features named, histograms drawn', async () => {
    const baseline = generate(dir, 0, 1);
    const shifted = readRows(path.join(generate(dir, 0.9, 2), 'holdout.csv')).slice(0, 400);
    const snapshot = await snapshotDataset(store, { dataset: 'churn', source: baseline });
    const endpoint = 'churn';
    const from = new Date('2026-11-27T10:00:00.000Z');
    const to = new Date('2026-11-27T10:05:00.000Z');
    await capture(store, endpoint, shifted, from, to);
    const window = await activityEnv().run(
      createMonitoringActivities({ store }).computeDriftWindow,
      churnWindowInput(endpoint, snapshot.id, from, to),
    );
    assert.equal(window.drifts, true, window.summary);
    await open(window.report.slice(store.uri.length + 1));
    await waitForText(page, 'monthly_charges');
    await waitForText(page, 'support_calls');
    await assertChartsDrawn(page);
    await saveScreenshot(page, 'drift-report.png');
  });

  it("shows a progressive rollout's page in the Temporal UI: its summary, steps and analyses in the details", async () => {
    const { env, uiUrl, namespace } = testStack();
    const queue = uniqueQueue('ui-rollout');
    const endpoint = `churn-${randomUUID().slice(0, 6)}`;
    const serving = new FakeServing(() => ({
      requests: 100,
      errorRate: 0,
      latencyMs: { p50: 5, p95: 10 },
      predictions: Array.from({ length: 60 }, (_, i) => (i + 0.5) / 60),
    }));
    serving.withServing(endpoint, 'churn', 1);
    const registry = new FakeRegistry('churn', 1);
    const notifier = new FakeNotifier();
    const worker = await fakeRolloutWorker(queue, serving, registry, notifier);
    // the worker keeps polling while the page loads: the UI asks it for the rollout's current details
    const running = worker.run();
    teardown.add('the rollout worker', async () => {
      worker.shutdown();
      await running;
    });
    const workflowId = `rollout/${endpoint}`;
    const handle = await env.client.workflow.start(progressiveRollout, {
      workflowId,
      taskQueue: queue,
      staticSummary: `rollout churn v2 → ${endpoint} (from retrain/churn/2026-11-27T11:40:52.646Z)`,
      args: [
        {
          endpoint,
          model: { name: 'churn', version: 2, artifactUri: 'file:///models/churn/v2' },
          rollout: rolloutSectionSchema.parse({
            endpoint,
            terminationWait: '1s',
            strategy: 'linear',
            stepSize: 25,
            interval: '1s',
            bake: '1s',
            analysisInterval: '1s',
          }),
          actor: 'alice',
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.outcome, 'promoted');
    await page.goto(`${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`);
    await waitForText(page, workflowId);
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await waitForText(page, `rollout churn v2 → ${endpoint}`);
    // the details come from the workflow's built-in query, answered by the polling worker
    await waitForText(page, /promoted/);
    await waitForText(page, /latest analysis: pass/);
    await saveScreenshot(page, 'rollout-ui.png');
  });
});

/** At least one chart is an SVG with marks in it, laid out with a size. */
async function assertChartsDrawn(page: Page): Promise<void> {
  const charts = await page.locator('svg').evaluateAll((svgs) =>
    svgs.map((s) => ({
      marks: s.querySelectorAll('path, rect, circle, line').length,
      width: s.getBoundingClientRect().width,
    })),
  );
  assert.ok(
    charts.some((c) => c.marks > 3 && c.width > 100),
    `no chart drawn: ${JSON.stringify(charts)}`,
  );
}

/** Writes the screenshot (of the whole page with `fullPage`) to the temp folder, or to docs/img when MLOPS_UPDATE_SCREENSHOTS=1. */
async function saveScreenshot(page: Page, name: string, fullPage = false): Promise<void> {
  const dir = process.env.MLOPS_UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'img') : os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name), fullPage });
}
