/**
 * The gateway as replicas: two real `mlops gateway` processes on one store (each with its own home
 * folder, as on two hosts) share the endpoints — a change made through one routes on the other
 * within a second — and the metrics read with the store sum both replicas' traffic. The admin API
 * beyond loopback is refused without TLS, and served over TLS with a self-signed certificate that
 * the client trusts through its CA file. In-process gateways cover the import of an older state
 * file and a replica cut off from the store.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayAdminError } from '../../activities/serving/gateway-client';
import { gatewayAdminFromConfig, GatewayAdminClient } from '../../activities/serving/gateway-client';
import { liveReplicas } from '../../activities/serving/gateway-replicas';
import type { BlobStore } from '../../activities/storage/types';
import { startGateway } from '../../gateway';
import { freePort, waitFor } from '../../lib/ports';
import { collectOutput } from '../support/chaos-servers';
import { cliEnv, runCli, startCli } from '../support/cli';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream';
import { testStack } from '../support/stack';
import { testS3Store } from '../support/worker';
import { inferBody } from './harness';

const TOKEN = 'replicas-test-admin-token-of-at-least-32-chars';

interface Replica {
  child: ChildProcess;
  port: number;
  adminPort: number;
  url: string;
  adminUrl: string;
  output: () => string;
}

describe('inference gateway: replicas on one store', function () {
  this.timeout(120_000);

  const prefix = `gw-replicas-${Date.now().toString(36)}`;
  let store: BlobStore;
  let blue: FakeUpstream;
  let green: FakeUpstream;
  const replicas: Replica[] = [];

  const startReplica = async (name: string, extraArgs: string[] = [], scheme = 'http'): Promise<Replica> => {
    const port = await freePort();
    const adminPort = await freePort();
    const env = cliEnv(prefix, {
      MLOPS_HOME: path.join(testStack().tmpDir, `home-${prefix}-${name}`),
      MLOPS_GATEWAY_TOKEN: TOKEN,
    });
    const child = startCli(['gateway', '--port', String(port), '--admin-port', String(adminPort), ...extraArgs], env);
    const output = collectOutput(child);
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitFor(async () => (await fetch(`${url}/v2/health/ready`)).ok, 30_000);
    assert.ok(ready, `gateway ${name} not ready:\n${output.text()}`);
    const replica = {
      child,
      port,
      adminPort,
      url,
      adminUrl: `${scheme}://127.0.0.1:${adminPort}`,
      output: output.text,
    };
    replicas.push(replica);
    return replica;
  };

  const stopReplica = async (r: Replica) => {
    if (r.child.exitCode !== null) return;
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill('SIGTERM');
    await exited;
  };

  /** The weight gauge a replica exports for `variant` of endpoint churn (what it routes by). */
  const routedWeight = async (r: Replica, variant: string): Promise<number | undefined> => {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('mlops_gateway_variant_weight') && l.includes(`variant="${variant}"`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  const infer = async (r: Replica) => {
    const res = await fetch(`${r.url}/v2/models/churn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inferBody()),
    });
    await res.arrayBuffer();
    return { status: res.status, variant: res.headers.get('x-mlops-variant') };
  };

  before(async () => {
    store = testS3Store(prefix);
    blue = await startFakeUpstream(0.25);
    green = await startFakeUpstream(0.75);
  });

  after(async () => {
    for (const r of replicas) await stopReplica(r);
    await blue?.close();
    await green?.close();
  });

  it('routes a change made through one replica on the other within a second', async () => {
    const a = await startReplica('a');
    const b = await startReplica('b');
    const adminA = new GatewayAdminClient({ adminUrl: a.adminUrl, token: TOKEN });
    await adminA.putEndpoint('churn', {
      variants: [
        { name: 'blue', upstream: blue.url, modelName: 'm' },
        { name: 'green', upstream: green.url, modelName: 'm' },
      ],
      weights: { blue: 100, green: 0 },
    });
    assert.ok(await waitFor(async () => (await routedWeight(b, 'blue')) === 100, 5_000), 'b never saw the endpoint');
    assert.equal((await infer(b)).variant, 'blue');

    const current = await adminA.getEndpoint('churn');
    const changedAt = Date.now();
    await adminA.setWeights('churn', { blue: 0, green: 100 }, current?.revision);
    // b follows the store by itself: its routing, not an admin read (which reads the store first)
    for (;;) {
      if ((await routedWeight(b, 'green')) === 100) break;
      assert.ok(Date.now() - changedAt < 1000, `b still routes by the old weights after ${Date.now() - changedAt} ms`);
      await sleep(20);
    }
    const answers = await Promise.all(Array.from({ length: 10 }, () => infer(b)));
    assert.deepEqual(new Set(answers.map((x) => x.variant)), new Set(['green']));

    // both replicas write on one revision sequence: b refuses a's stale revision too
    await assert.rejects(
      new GatewayAdminClient({ adminUrl: b.adminUrl, token: TOKEN }).setWeights(
        'churn',
        { blue: 50, green: 50 },
        current?.revision,
      ),
      (err: GatewayAdminError) => err.status === 409,
    );
  });

  it('sums the metrics of every live replica when read with the store', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const admin = new GatewayAdminClient({ adminUrl: a.adminUrl, token: TOKEN });
    const current = await admin.getEndpoint('churn');
    await admin.setWeights('churn', { blue: 50, green: 50 }, current?.revision);
    assert.ok(await waitFor(async () => (await routedWeight(b, 'blue')) === 50, 5_000));
    const before = await admin.metrics('churn', 300);
    const served = { a: 0, b: 0 };
    for (let i = 0; i < 30; i++) {
      assert.equal((await infer(a)).status, 200);
      served.a++;
    }
    for (let i = 0; i < 20; i++) {
      assert.equal((await infer(b)).status, 200);
      served.b++;
    }
    const live = await liveReplicas(store);
    assert.deepEqual(live.map((r) => r.adminUrl).sort(), [a.adminUrl, b.adminUrl].sort());

    const total = (m: Awaited<ReturnType<GatewayAdminClient['metrics']>>) =>
      Object.values(m.variants).reduce((n, v) => n + v.requests, 0);
    const onlyA = await admin.metrics('churn', 300);
    assert.equal(total(onlyA) - total(before), served.a, 'without the store: one replica');
    const summed = await gatewayAdminFromConfig({ url: a.url, adminUrl: a.adminUrl, token: TOKEN }, store).metrics(
      'churn',
      300,
    );
    const blueSummed = summed.variants.blue;
    const greenSummed = summed.variants.green;
    assert.ok(blueSummed && greenSummed);
    // the first test's requests went through b too (blue, then green)
    assert.equal(total(summed), total(onlyA) + served.b + 11, JSON.stringify(summed));
    assert.equal(blueSummed.predictions.filter((p) => p === 0.25).length, blueSummed.requests);
    assert.equal(greenSummed.predictions.filter((p) => p === 0.75).length, greenSummed.requests);
    assert.equal(blueSummed.errorRate, 0);
    assert.ok(blueSummed.latencyMs.p95 >= blueSummed.latencyMs.p50 && blueSummed.latencyMs.p50 > 0);

    // a stopped replica removes its record, and its figures leave the sum
    await stopReplica(b);
    assert.deepEqual(
      (await liveReplicas(store)).map((r) => r.adminUrl),
      [a.adminUrl],
    );
    const afterStop = await gatewayAdminFromConfig({ url: a.url, adminUrl: a.adminUrl, token: TOKEN }, store).metrics(
      'churn',
      300,
    );
    assert.equal(total(afterStop), total(onlyA));
  });

  it('refuses an admin API beyond loopback without TLS: exit 2, the flags named, nothing written', async () => {
    const home = path.join(testStack().tmpDir, `home-${prefix}-refused`);
    const port = await freePort();
    const result = await runCli(
      ['gateway', '--port', String(port), '--admin-port', String(await freePort()), '--admin-host', '0.0.0.0'],
      cliEnv(prefix, { MLOPS_HOME: home }),
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--admin-host 0\.0\.0\.0: .*--admin-tls-cert.*--admin-behind-network-policy/s);
    assert.equal(fs.existsSync(path.join(home, 'gateway', 'admin-token')), false, 'an admin token was created');
    assert.equal(
      await fetch(`http://127.0.0.1:${port}/v2/health/live`).then(
        () => 'answered',
        () => 'closed',
      ),
      'closed',
    );

    const halfTls = await runCli(
      ['gateway', '--port', String(port), '--admin-tls-cert', path.join(home, 'cert.pem')],
      cliEnv(prefix, { MLOPS_HOME: home }),
    );
    assert.equal(halfTls.code, 2, halfTls.stderr);
    assert.match(halfTls.stderr, /--admin-tls-key: must be given too/);
  });

  it('serves the admin API over TLS with a self-signed certificate the client trusts through its CA file', async () => {
    const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'gw-tls-'));
    const cert = path.join(dir, 'admin.crt');
    const key = path.join(dir, 'admin.key');
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-subj', '/CN=mlops-gateway-admin', '-addext', 'subjectAltName=IP:127.0.0.1'],
        ...['-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    );
    const tls = await startReplica('tls', ['--admin-tls-cert', cert, '--admin-tls-key', key], 'https');
    const advertised = `advertised as https://127.0.0.1:${tls.adminPort}`;
    assert.ok(await waitFor(async () => tls.output().includes(advertised), 5_000), tls.output());

    const trusted = gatewayAdminFromConfig({ url: tls.url, adminUrl: tls.adminUrl, token: TOKEN, adminCaFile: cert });
    // the replicas share the store: the TLS one serves the same endpoint
    assert.deepEqual((await trusted.getEndpoint('churn'))?.weights, { blue: 50, green: 50 });
    await assert.rejects(
      new GatewayAdminClient({ adminUrl: tls.adminUrl, token: TOKEN }).listEndpoints(),
      (err: GatewayAdminError) => err.status === 0 && /unreachable/.test(err.message),
      'a certificate no CA vouches for is refused',
    );
    await assert.rejects(
      new GatewayAdminClient({
        adminUrl: tls.adminUrl,
        token: 'not-the-token',
        ca: fs.readFileSync(cert),
      }).listEndpoints(),
      (err: GatewayAdminError) => err.status === 401,
    );
    const plain = await fetch(`http://127.0.0.1:${tls.adminPort}/admin/endpoints`).then(
      (r) => r.status,
      () => 0,
    );
    assert.notEqual(plain, 200, 'plain HTTP on the TLS port');
    assert.throws(
      () =>
        gatewayAdminFromConfig({
          url: tls.url,
          adminUrl: tls.adminUrl,
          token: TOKEN,
          adminCaFile: path.join(dir, 'none.pem'),
        }),
      /MLOPS_GATEWAY_ADMIN_CA: cannot read .*none\.pem/,
    );
    await stopReplica(tls);
  });
});

describe('inference gateway: the store behind the endpoints', function () {
  this.timeout(60_000);

  it('imports an older state file once into an empty store', async () => {
    const upstream = await startFakeUpstream(0.5);
    const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'gw-import-'));
    const stateFile = path.join(dir, 'state.json');
    const legacy = {
      version: 1,
      endpoints: [
        {
          name: 'old',
          revision: 7,
          variants: [{ name: 'v1', upstream: upstream.url, modelName: 'm' }],
          weights: { v1: 100 },
          capture: { sampleRate: 1, maxBatch: 100, flushSeconds: 10 },
          faults: {},
          updatedAt: new Date().toISOString(),
        },
      ],
      feedbackTokens: { old: 'a-feedback-token-of-the-older-gateway-0123456789' },
    };
    fs.writeFileSync(stateFile, JSON.stringify(legacy));
    const store = testS3Store();
    const lines: string[] = [];
    const opts = { stateFile, store, adminToken: TOKEN, port: 0, adminPort: 0, log: (l: string) => lines.push(l) };
    const first = await startGateway(opts);
    try {
      const admin = new GatewayAdminClient({ adminUrl: first.adminUrl, token: TOKEN });
      assert.equal((await admin.getEndpoint('old'))?.revision, 7);
      assert.equal(await admin.feedbackToken('old'), legacy.feedbackTokens.old);
      assert.equal(fs.existsSync(stateFile), false);
      assert.ok(fs.existsSync(`${stateFile}.imported`));
      assert.ok(lines.some((l) => /imported 1 endpoint/.test(l)));
      assert.ok(!lines.some((l) => l.includes(legacy.feedbackTokens.old)), 'a feedback token in the log');
      await admin.setWeights('old', { v1: 100 }, 7);
    } finally {
      await first.close();
    }
    // a state file that shows up again is not imported over the store's endpoints
    fs.writeFileSync(stateFile, JSON.stringify(legacy));
    const second = await startGateway(opts);
    try {
      const admin = new GatewayAdminClient({ adminUrl: second.adminUrl, token: TOKEN });
      assert.equal((await admin.getEndpoint('old'))?.revision, 8);
      assert.ok(fs.existsSync(stateFile));
    } finally {
      await second.close();
      await upstream.close();
    }
  });

  it('keeps serving what it read last while the store does not answer, and says so', async () => {
    const upstream = await startFakeUpstream(0.5);
    const real = testS3Store();
    let down = false;
    const fail = () => Promise.reject(new Error('connect ECONNREFUSED (the test cut the store off)'));
    const store: BlobStore = Object.assign(Object.create(real) as BlobStore, {
      head: (key: string) => (down ? fail() : real.head(key)),
      getBytes: (key: string) => (down ? fail() : real.getBytes(key)),
    });
    const lines: string[] = [];
    const gateway = await startGateway({
      store,
      adminToken: TOKEN,
      port: 0,
      adminPort: 0,
      rateLimitPerSecond: 0,
      log: (l) => lines.push(l),
    });
    try {
      const admin = new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: TOKEN });
      await admin.putEndpoint('cut', {
        variants: [{ name: 'v1', upstream: upstream.url, modelName: 'm' }],
        weights: { v1: 100 },
      });
      down = true;
      const ready = async () =>
        (await (await fetch(`${gateway.url}/v2/health/ready`)).json()) as Record<string, unknown>;
      assert.ok(await waitFor(async () => (await ready()).endpoints === 'stale', 5_000), 'never said it is stale');
      const answer = await ready();
      assert.equal(answer.ready, true);
      assert.equal(typeof answer.endpointsReadAt, 'string');
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      assert.match(metrics, /^mlops_gateway_state_store_up 0$/m);
      const res = await fetch(`${gateway.url}/v2/models/cut/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inferBody()),
      });
      assert.equal(res.status, 200, await res.text());
      assert.ok(lines.some((l) => /cannot read the endpoints from the store, serving the last read/.test(l)));
      down = false;
      assert.ok(await waitFor(async () => (await ready()).endpoints === 'current', 5_000));
      assert.match(await (await fetch(`${gateway.url}/metrics`)).text(), /^mlops_gateway_state_store_up 1$/m);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});
