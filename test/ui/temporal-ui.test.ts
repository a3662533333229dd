/**
 * The Temporal UI in a real browser: a short `trainModel` run, started as `mlops train` starts it,
 * is opened in headless Chromium on the test dev server's UI, and the run's summary, its
 * activities' summaries and the project's search attributes must be on the page as text.
 *
 * Needs Chromium (CHROMIUM_PATH or `chromium` on PATH; `npm run setup` installs Debian's): without
 * it the suite fails with a message saying so. The screenshot of the run's User Metadata tab goes to the
 * OS temp folder; `MLOPS_UPDATE_SCREENSHOTS=1 npx mocha test/ui/temporal-ui.test.ts` writes it to
 * docs/img/temporal-ui-train-run.png (the image of docs/pipelines.md) instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT } from '../../lib/tools';
import { trainModel } from '../../workflows';
import { launchChromium, waitForText } from '../support/browser';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { testDeps, uniqueQueue, withWorker } from '../support/worker';

const SCREENSHOT = 'temporal-ui-train-run.png';

describe('the Temporal UI', function () {
  this.timeout(60_000);
  const pipeline = 'churn-ui';
  const params = { max_depth: 4, n_estimators: 200 };
  const staticSummary = `train churn (${pipeline}) on local ${JSON.stringify(params)}`;
  let workflowId: string;
  let runId: string;
  let browser: Browser;
  let page: Page;
  // the workflow worker keeps polling while the pages load: the UI asks it for the run's current details
  let stopWorker: () => void;
  const teardown = suiteTeardown();

  before(async () => {
    browser = await teardown.start('Chromium', launchChromium, (b) => b.close());
    const { env, tmpDir } = testStack();
    const codeDir = fs.mkdtempSync(path.join(tmpDir, 'ui-code-'));
    fs.writeFileSync(path.join(codeDir, 'train.sh'), `echo '{"val_auc": 0.91}' > "$MLOPS_OUTPUT_DIR/metrics.json"\n`);
    const queue = uniqueQueue('ui');
    const trainingQueue = uniqueQueue('ui-training');
    const deps = testDeps();
    workflowId = `train/${pipeline}/${new Date().toISOString()}`;
    const stopped = new Promise<void>((resolve) => (stopWorker = resolve));
    let ready!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => (ready = (err) => (err ? reject(err) : resolve())));
    const worker = withWorker(queue, deps, async () => {
      try {
        await withWorker(trainingQueue, deps, async () => {
          const handle = await env.client.workflow.start(trainModel, {
            workflowId,
            taskQueue: queue,
            staticSummary,
            args: [
              {
                pipeline,
                trainingTaskQueue: trainingQueue,
                primaryMetric: 'val_auc',
                job: {
                  name: 'churn',
                  command: ['sh', 'train.sh'],
                  codeDir,
                  params,
                },
              },
            ],
          });
          runId = handle.firstExecutionRunId;
          await handle.result();
        });
        ready();
      } catch (err) {
        ready(err);
      }
      await stopped;
    });
    teardown.add('the workers', () => {
      stopWorker();
      return worker;
    });
    await Promise.race([done, worker]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
  });

  const runUrl = (tab = '') => {
    const { uiUrl, namespace } = testStack();
    const url = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
    return tab ? `${url}/${runId}/${tab}` : url;
  };

  it("shows the run's summary, its details and every activity's summary under User Metadata", async () => {
    await page.goto(runUrl());
    await waitForText(page, workflowId);
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    // the summary is rendered as markdown, which curls the JSON's quotes
    await waitForText(page, /train churn \(churn-ui\) on local \{.max_depth.:4,.n_estimators.:200\}/);
    for (const summary of ['track run of churn-ui', 'train churn max_depth=4 n_estimators=200', 'record run result']) {
      await waitForText(page, summary);
    }
    // the details come from the workflow's built-in query, answered by the running worker
    await waitForText(page, /status\s+succeeded/);
    await waitForText(page, /metrics\s+val_auc=0\.91/);
    await saveScreenshot(page);
  });

  it("labels the activities in the event history's timeline and events with their summaries", async () => {
    await page.goto(runUrl('history'));
    await waitForText(page, 'runTrainingJob • train churn max_depth=4 n_estimators=200');
    await waitForText(page, 'startTrial • track trial 1');
    // the run's tracking records are local activities: their events still carry the summary
    await waitForText(page, /Local Activity\s+Activity Type\s+finishRun\s+Summary\s+record run result/);
    await waitForText(page, /Activity Type\s+runTrainingJob\s+Summary\s+train churn max_depth=4 n_estimators=200/);
  });

  it("shows the project's search attributes and finds the run with a visibility query on MlPipeline", async () => {
    await page.goto(runUrl('search-attributes'));
    await waitForText(page, `"MlPipeline": "${pipeline}"`);
    await waitForText(page, '"MlTrigger": "manual"');
    await waitForText(page, '"MlPrimaryMetric": 0.91');

    const { uiUrl, namespace } = testStack();
    const query = encodeURIComponent(`MlPipeline="${pipeline}"`);
    await page.goto(`${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${query}`);
    await waitForText(page, workflowId);
  });
});

/** Writes the screenshot to the temp folder, or to docs/img when MLOPS_UPDATE_SCREENSHOTS=1. */
async function saveScreenshot(page: Page): Promise<void> {
  const dir = process.env.MLOPS_UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'img') : os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, SCREENSHOT) });
}
