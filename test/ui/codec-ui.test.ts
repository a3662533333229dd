/**
 * Encrypted payloads in the Temporal UI: with the AES-GCM codec on, the server keeps only
 * ciphertext, and the UI — started with `--ui-codec-endpoint` pointing at the project's codec
 * server and its token in the endpoint's path, as `mlops dev up --ui-codec-endpoint` does — still shows the run's input and summaries in
 * clear, in headless Chromium. With the codec server gone, the same page shows no param.
 *
 * This suite starts a dev server of its own: the UI's codec endpoint is fixed when it starts.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { createActivities } from '../../activities';
import { AesGcmCodec, clientDataConverter, codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { startCodecServer, type RunningCodecServer } from '../../codec-server/server';
import { freePort } from '../../lib/ports';
import { trainModel } from '../../workflows';
import { launchChromium, waitForText } from '../support/browser';
import { startTemporal, testStack, workflowBundle } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { testDeps } from '../support/worker';

describe('the Temporal UI through the codec server', function () {
  this.timeout(120_000);
  const codecEnv = { MLOPS_CODEC_KEYS: `ui:${randomBytes(32).toString('base64')}` };
  const id = randomUUID().slice(0, 8);
  const PARAM = `p-${id}-secret-param`;
  const workflowId = `train/codec-ui/${id}`;
  let codecServer: RunningCodecServer;
  let temporal: TestWorkflowEnvironment;
  let uiUrl: string;
  let browser: Browser;
  // each piece's stop is registered as it starts: a browser that fails to launch leaves no dev server
  const teardown = suiteTeardown();

  before(async () => {
    const uiPort = await freePort();
    uiUrl = `http://127.0.0.1:${uiPort}`;
    codecServer = await teardown.start(
      'the codec server',
      () =>
        startCodecServer({
          codec: new AesGcmCodec(codecKeysFromEnv(codecEnv)!),
          token: randomBytes(24).toString('base64url'),
          port: 0,
          corsOrigins: [uiUrl, `http://localhost:${uiPort}`],
        }),
      (server) => server.close(),
    );
    [temporal, browser] = await Promise.all([
      teardown.start(
        'the dev server',
        () => startTemporal(uiPort, ['--ui-codec-endpoint', codecServer.uiEndpoint]),
        (server) => server.teardown(),
      ),
      teardown.start('Chromium', launchChromium, (b) => b.close()),
    ]);
  });

  it("shows the encrypted run's input and summary in clear, and nothing without the codec server", async () => {
    const dataConverter = clientDataConverter(codecEnv)!;
    const address = temporal.connection.options.address;
    const connection = await NativeConnection.connect({ address });
    const common = { connection, namespace: 'default', dataConverter, activities: createActivities(testDeps()) };
    const queue = `codec-ui-${id}`;
    const trainingQueue = `codec-ui-training-${id}`;
    const workers = [
      await Worker.create({ ...common, taskQueue: queue, workflowBundle: await workflowBundle() }),
      await Worker.create({ ...common, taskQueue: trainingQueue }),
    ];
    const client = new Client({ connection: temporal.connection, namespace: 'default', dataConverter });
    const running = workers.map((w) => w.run());
    let runId: string;
    try {
      const handle = await client.workflow.start(trainModel, {
        workflowId,
        taskQueue: queue,
        staticSummary: `train codec-ui with ${PARAM}`,
        args: [
          {
            pipeline: 'codec-ui',
            trainingTaskQueue: trainingQueue,
            job: {
              name: 'codec-job',
              command: ['sh', '-c', 'echo "{\\"auc\\": 0.93}" > "$MLOPS_OUTPUT_DIR/metrics.json"'],
              codeDir: testStack().tmpDir,
              env: {},
              params: { marker: PARAM },
            },
          },
        ],
      });
      runId = handle.firstExecutionRunId;
      assert.deepEqual((await handle.result()).metrics, { auc: 0.93 });
    } finally {
      workers.forEach((w) => w.shutdown());
      await Promise.all(running);
      await connection.close();
    }

    // the server holds ciphertext only
    const raw = JSON.stringify(await temporal.client.workflow.getHandle(workflowId).fetchHistory());
    assert.ok(!raw.includes(PARAM) && !raw.includes(Buffer.from(PARAM).toString('base64')), 'no param in clear');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const runUrl = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
    await page.goto(runUrl);
    await waitForText(page, workflowId);
    // the input, decoded in the browser through the codec server
    await waitForText(page, PARAM);
    await waitForText(page, /"auc":\s*0\.93/);

    // the same page with the codec server gone: the UI cannot decode, and shows no param
    await teardown.stop(codecServer);
    const blind = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await blind.goto(runUrl);
    await waitForText(blind, workflowId);
    await waitForText(blind, 'Codec Server could not connect');
    // the payloads as stored: metadata encoding "binary/encrypted", in base64
    await waitForText(blind, Buffer.from('binary/encrypted').toString('base64'));
    const shown = await Promise.all(
      blind.frames().map((f) =>
        f
          .locator('body')
          .innerText()
          .catch(() => ''),
      ),
    );
    assert.ok(!shown.join('\n').includes(PARAM), 'without the codec server the param stays encrypted');
  });
});
