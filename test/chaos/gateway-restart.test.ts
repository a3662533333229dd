/**
 * The inference gateway restarts in the middle of a canary: a real `mlops gateway` process in front
 * of real model-server variants, a real `mlops worker` process running the rollout, live traffic. The
 * gateway is SIGKILLed while the candidate bakes at 50% and started again on the same ports and
 * store: it comes back with the canary's weights (not reset), serves again, captures requests
 * made after the restart, and the rollout goes on to promote the healthy candidate — the restart's
 * empty request windows do not read as failures.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelRegistry } from '../../activities/registry';
import { LocalServingBackend } from '../../activities/serving';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { canBind, freePort, waitFor } from '../../lib/ports';
import { REPO_ROOT } from '../../lib/tools';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { collectOutput, startedAttempts } from '../support/chaos-servers';
import { registerApprovedVersions, trainChurnModel, type TrainedChurnModel } from '../support/churn-model';
import { cliEnv, runCli, startCli } from '../support/cli';
import { startHealthyCanary } from '../support/canary';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic, type Traffic } from '../support/traffic';
import { testS3Store } from '../support/worker';
import { startWorkerProcess } from '../training/helpers';

const MODEL = 'churn-gwr';
const ENDPOINT = 'gwr';
const TOKEN = 'chaos-gateway-token-of-at-least-32-characters';

describe('the gateway restarted during a canary with traffic', function () {
  this.timeout(300_000);
  const prefix = `chaos-gw-${randomUUID().slice(0, 8)}`;
  let store: BlobStore;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let port: number;
  let adminPort: number;
  let admin: GatewayAdminClient;
  let gateway: ChildProcess | undefined;
  let gatewayOutput: { text: () => string } = { text: () => '' };
  let worker: ChildProcess | undefined;
  let trained: TrainedChurnModel;
  let traffic: Traffic | undefined;
  const teardown = suiteTeardown();

  const json = async (...args: string[]) => {
    const r = await runCli(['--json', ...args], env, 200_000);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  const gatewayUrl = () => `http://127.0.0.1:${port}`;

  const startGatewayProcess = async () => {
    gateway = startCli(['gateway', '--port', String(port), '--admin-port', String(adminPort)], env);
    gatewayOutput = collectOutput(gateway);
    const ready = await waitFor(async () => (await fetch(`${gatewayUrl()}/v2/health/ready`)).ok, 30_000);
    assert.ok(ready, `gateway not ready:\n${gatewayOutput.text()}`);
  };

  before(async function () {
    store = testS3Store(prefix);
    home = fs.mkdtempSync(path.join(testStack().tmpDir, 'chaos-gw-home-'));
    port = await freePort();
    adminPort = await freePort();
    env = cliEnv(prefix, {
      MLOPS_HOME: home,
      MLOPS_GATEWAY_URL: `http://127.0.0.1:${port}`,
      MLOPS_GATEWAY_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
      MLOPS_GATEWAY_TOKEN: TOKEN,
    });
    admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token: TOKEN });
    // the model servers the worker started, then whichever gateway process is up (a test restarts it)
    teardown.add('the gateway and its model servers', stopServing);
    await startGatewayProcess();
    trained = await trainChurnModel(store, `${prefix}-model`, fs.mkdtempSync(path.join(testStack().tmpDir, 'gwr-')));
    await registerApprovedVersions(store, MODEL, trained, 2, 'for the restart test');
    worker = await teardown.start(
      'the worker',
      () => startWorkerProcess(env),
      (w) => w.kill('SIGKILL'),
    );
    teardown.add('the traffic', () => traffic?.stop());
  });

  const stopServing = async () => {
    if (gateway?.exitCode === null) {
      const backend = new LocalServingBackend({
        store,
        gateway: admin,
        servingRoot: path.join(home, 'serving'),
        python: path.join(REPO_ROOT, '.venv', 'bin', 'python'),
        killGraceMs: 5000,
        pollMs: 100,
      });
      await admin.deleteEndpoint(ENDPOINT).catch(() => undefined);
      const dir = path.join(home, 'serving', ENDPOINT);
      for (const variant of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
        await backend.undeployVariant(ENDPOINT, variant).catch(() => undefined);
      gateway.kill('SIGTERM');
    }
  };

  it('keeps the canary weights, serves and captures again, and promotes the healthy candidate', async () => {
    const first = await json('deploy', MODEL, '1', '--endpoint', ENDPOINT, '--wait');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.body.weights, { [`${MODEL}-v1`]: 100 });

    // requests carry an id saying whether they were sent before or after the restart
    let phase = 'before';
    const request = toInferenceRequest(trained.rows);
    traffic = startTraffic(gatewayUrl(), ENDPOINT, (i) => JSON.stringify({ ...request, id: `${phase}-${i}` }), 25);

    await startHealthyCanary(json, MODEL, ENDPOINT);
    const handle = testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`);
    const canaryWeights = { [`${MODEL}-v1`]: 50, [`${MODEL}-v2`]: 50 };
    const before = await admin.getEndpoint(ENDPOINT);
    assert.deepEqual(before?.weights, canaryWeights);

    // the restart: SIGKILL, the same ports and store
    const running = gateway!;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    assert.ok(await waitFor(() => canBind(port), 10_000), 'the public port never came free');
    await sleep(3000); // down for longer than an analysis interval: one analysis meets no gateway
    await startGatewayProcess();
    const restartedAt = Date.now();
    phase = 'after';

    const after = await admin.getEndpoint(ENDPOINT);
    assert.deepEqual(after?.weights, canaryWeights, 'the weights are the canary’s, not reset');
    assert.equal(after?.revision, before?.revision);
    const answered = await fetch(`${gatewayUrl()}/v2/models/${ENDPOINT}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, id: 'after-probe' }),
    });
    assert.equal(answered.status, 200, await answered.text());

    const result = await handle.result();
    const analyses = result.analyses as { at: string; verdict: string; weight: number; checks: unknown[] }[];
    assert.equal(result.outcome, 'promoted', `${result.reason}\n${JSON.stringify(analyses, null, 1)}`);
    assert.deepEqual(result.weights, { [`${MODEL}-v2`]: 100 });
    assert.deepEqual(
      analyses.filter((a) => a.verdict === 'fail'),
      [],
      'a gateway restart is not a failing canary',
    );
    assert.ok(
      analyses.some((a) => Date.parse(a.at) > restartedAt && a.weight === 50 && a.verdict === 'pass'),
      `judged again after the restart: ${JSON.stringify(analyses)}`,
    );
    const attempts = await startedAttempts(handle, 'analyzeRollout');
    assert.ok(
      attempts.some((n) => n > 1),
      `the analysis that met no gateway was retried: ${attempts.join(', ')}`,
    );
    assert.equal((await new ModelRegistry(store).describeVersion(MODEL, 'champion')).version.version, 2);

    // captures resumed: batches in the store hold requests sent after the restart
    const capturedAfter = async () => {
      const ids: string[] = [];
      for await (const info of store.list(`endpoints/${ENDPOINT}/capture/`)) {
        const text = (await store.getBytes(info.key)).toString('utf8');
        for (const line of text.trim().split('\n')) ids.push((JSON.parse(line) as { requestId: string }).requestId);
      }
      return ids.filter((id) => id.startsWith('after-'));
    };
    assert.ok(await waitFor(async () => (await capturedAfter()).length > 20, 30_000), 'no captures after the restart');
    assert.ok((await traffic.stop()) > 100);
    traffic = undefined;
    assert.equal(worker!.exitCode, null, 'the worker kept running');
  });
});
