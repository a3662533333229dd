/**
 * A canary rollout while two gateway replicas serve traffic and one of them is restarted: two real
 * `mlops gateway` processes on one store (each with its own home folder, as on two hosts), real
 * model servers started by a real `mlops worker` process, live traffic through both replicas. The
 * worker administers the gateway through replica A; replica B is SIGKILLed while the candidate
 * bakes at 50% and started again on the same ports. B comes back with the canary's weights from
 * the store, follows the promotion by itself, and the rollout promotes the healthy candidate with
 * its analyses reading both replicas' requests.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelRegistry } from '../../activities/registry';
import { gatewayAdminFromConfig, GatewayAdminClient } from '../../activities/serving/gateway-client';
import { liveReplicas } from '../../activities/serving/gateway-replicas';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { canBind, freePort, waitFor } from '../../lib/ports';
import { createServing } from '../../worker/dependencies';
import { collectOutput } from '../support/chaos-servers';
import { registerApprovedVersions, trainChurnModel, type TrainedChurnModel } from '../support/churn-model';
import { cliEnv, runCli, startCli } from '../support/cli';
import { startHealthyCanary } from '../support/canary';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic, type Traffic } from '../support/traffic';
import { testS3Store } from '../support/worker';
import { startWorkerProcess } from '../training/helpers';

const MODEL = 'churn-gwrep';
const ENDPOINT = 'gwrep';
const TOKEN = 'chaos-gateway-replicas-token-of-32-characters';

interface Replica {
  name: string;
  port: number;
  adminPort: number;
  child?: ChildProcess;
  output: () => string;
}

describe('a rollout while two gateway replicas serve traffic and one is restarted', function () {
  this.timeout(300_000);
  const prefix = `chaos-gwrep-${randomUUID().slice(0, 8)}`;
  let store: BlobStore;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let a: Replica;
  let b: Replica;
  let admin: GatewayAdminClient;
  let worker: ChildProcess | undefined;
  let trained: TrainedChurnModel;
  const traffic: Traffic[] = [];
  const teardown = suiteTeardown();

  const url = (r: Replica) => `http://127.0.0.1:${r.port}`;
  const json = async (...args: string[]) => {
    const r = await runCli(['--json', ...args], env, 200_000);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };

  const startReplica = async (r: Replica) => {
    const replicaEnv = { ...env, MLOPS_HOME: path.join(testStack().tmpDir, `${prefix}-${r.name}`) };
    r.child = startCli(['gateway', '--port', String(r.port), '--admin-port', String(r.adminPort)], replicaEnv);
    r.output = collectOutput(r.child).text;
    const ready = await waitFor(async () => (await fetch(`${url(r)}/v2/health/ready`)).ok, 30_000);
    assert.ok(ready, `gateway ${r.name} not ready:\n${r.output()}`);
  };

  /** The weights replica `r` routes by (its /metrics gauges, kept from the store by the replica itself). */
  const routedWeights = async (r: Replica): Promise<Record<string, number>> => {
    const text = await (await fetch(`${url(r)}/metrics`)).text();
    const weights: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^mlops_gateway_variant_weight\{endpoint="([^"]+)",variant="([^"]+)"\} (\d+)$/.exec(line);
      if (m?.[1] === ENDPOINT && m[2]) weights[m[2]] = Number(m[3]);
    }
    return weights;
  };

  before(async function () {
    store = testS3Store(prefix);
    home = fs.mkdtempSync(path.join(testStack().tmpDir, 'chaos-gwrep-home-'));
    a = { name: 'a', port: await freePort(), adminPort: await freePort(), output: () => '' };
    b = { name: 'b', port: await freePort(), adminPort: await freePort(), output: () => '' };
    env = cliEnv(prefix, {
      MLOPS_HOME: home,
      MLOPS_GATEWAY_URL: url(a),
      MLOPS_GATEWAY_ADMIN_URL: `http://127.0.0.1:${a.adminPort}`,
      MLOPS_GATEWAY_TOKEN: TOKEN,
    });
    admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${a.adminPort}`, token: TOKEN });
    teardown.add('the gateways and the model servers', stopServing);
    await startReplica(a);
    await startReplica(b);
    trained = await trainChurnModel(store, `${prefix}-model`, fs.mkdtempSync(path.join(testStack().tmpDir, 'gwrep-')));
    await registerApprovedVersions(store, MODEL, trained, 2, 'for the replicas test');
    worker = await teardown.start(
      'the worker',
      () => startWorkerProcess(env),
      (w) => w.kill('SIGKILL'),
    );
    teardown.add('the traffic', async () => {
      for (const t of traffic) await t.stop();
    });
  });

  const stopServing = async () => {
    // the model servers the worker started, through the serving backend the worker uses
    const serving = createServing(
      { home, gateway: { url: url(a), adminUrl: `http://127.0.0.1:${a.adminPort}`, token: TOKEN } },
      store,
    );
    if (a?.child?.exitCode === null && serving) {
      await admin.deleteEndpoint(ENDPOINT).catch(() => undefined);
      const dir = path.join(home, 'serving', ENDPOINT);
      for (const variant of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
        await serving.undeployVariant(ENDPOINT, variant).catch(() => undefined);
    }
    for (const r of [a, b]) if (r?.child?.exitCode === null) r.child.kill('SIGTERM');
  };

  it('serves on both replicas through the restart and promotes the healthy candidate', async () => {
    const first = await json('deploy', MODEL, '1', '--endpoint', ENDPOINT, '--wait');
    assert.equal(first.code, 0, first.stderr);
    const v1 = `${MODEL}-v1`;
    const v2 = `${MODEL}-v2`;
    assert.ok(await waitFor(async () => (await routedWeights(b))[v1] === 100, 5_000), 'b never routed v1');

    const request = JSON.stringify(toInferenceRequest(trained.rows));
    traffic.push(startTraffic(url(a), ENDPOINT, () => request, 40));
    traffic.push(startTraffic(url(b), ENDPOINT, () => request, 40));

    await startHealthyCanary(json, MODEL, ENDPOINT);
    const handle = testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`);
    const canaryWeights = { [v1]: 50, [v2]: 50 };
    assert.deepEqual(await routedWeights(b), canaryWeights, 'b routes the canary as a does');

    // the analyses read both replicas: the sum over the store's replicas exceeds a's own figures
    const summed = gatewayAdminFromConfig(
      { url: url(a), adminUrl: `http://127.0.0.1:${a.adminPort}`, token: TOKEN },
      store,
    );
    const total = (m: Awaited<ReturnType<GatewayAdminClient['metrics']>>) =>
      Object.values(m.variants).reduce((n, v) => n + v.requests, 0);
    assert.equal((await liveReplicas(store)).length, 2);
    const onlyA = total(await admin.metrics(ENDPOINT, 60));
    const both = total(await summed.metrics(ENDPOINT, 60));
    assert.ok(both > onlyA + 10, `summed ${both}, a alone ${onlyA}`);

    // the restart of b: SIGKILL (its record stays until it goes stale), the same ports
    const running = b.child!;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    assert.ok(await waitFor(() => canBind(b.port), 10_000), "b's public port never came free");
    await sleep(3000); // down for longer than an analysis interval: the analyses meet one replica
    await startReplica(b);
    assert.deepEqual(await routedWeights(b), canaryWeights, 'b restarted with the canary weights from the store');
    const probe = await fetch(`${url(b)}/v2/models/${ENDPOINT}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request,
    });
    assert.equal(probe.status, 200, await probe.text());
    // one record per address: the killed b and the new one are not both read
    assert.equal((await liveReplicas(store)).length, 2);

    const result = await handle.result();
    const analyses = result.analyses as { verdict: string; weight: number }[];
    assert.equal(result.outcome, 'promoted', `${result.reason}\n${JSON.stringify(analyses, null, 1)}`);
    assert.deepEqual(result.weights, { [v2]: 100 });
    assert.deepEqual(
      analyses.filter((x) => x.verdict === 'fail'),
      [],
      'a replica restart is not a failing canary',
    );
    // b follows the promotion by itself
    assert.ok(
      await waitFor(async () => (await routedWeights(b))[v2] === 100, 5_000),
      JSON.stringify(await routedWeights(b)),
    );
    assert.equal((await new ModelRegistry(store).describeVersion(MODEL, 'champion')).version.version, 2);
    for (const t of traffic.splice(0)) assert.ok((await t.stop()) > 50);
    assert.equal(worker!.exitCode, null, 'the worker kept running');
    assert.equal(a.child?.exitCode, null, 'replica a kept running');
  });
});
