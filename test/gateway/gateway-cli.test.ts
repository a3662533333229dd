import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GatewayAdminClient, GatewayAdminError } from '../../activities/serving/gateway-client';
import { freePort, waitFor } from '../../lib/ports';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testS3Store } from '../support/worker';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream';

describe('mlops gateway (the CLI process)', function () {
  this.timeout(90_000);

  const prefix = `gw-${Date.now().toString(36)}`;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let upstream: FakeUpstream;
  let port: number;
  let adminPort: number;
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async (extraEnv: NodeJS.ProcessEnv = {}) => {
    stderr = '';
    child = startCli(['gateway', '--port', String(port), '--admin-port', String(adminPort)], { ...env, ...extraEnv });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).ok, 30_000);
    assert.ok(ready, `gateway not ready:\n${stderr}`);
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return null;
    const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
    running.kill('SIGTERM');
    return exited;
  };

  const infer = (id: string) =>
    fetch(`http://127.0.0.1:${port}/v2/models/churn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }),
    });

  before(async () => {
    env = cliEnv(prefix);
    home = env.MLOPS_HOME ?? '';
    upstream = await startFakeUpstream(0.5);
    port = await freePort();
    adminPort = await freePort();
  });

  after(async () => {
    await stop();
    await upstream?.close();
  });

  it('generates an admin token once, readable only by its owner', async () => {
    await start();
    const tokenFile = path.join(home, 'gateway', 'admin-token');
    assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    assert.ok(token.length >= 32);
    const admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token });
    assert.deepEqual(await admin.listEndpoints(), []);
  });

  it('flushes captures on SIGTERM and keeps variants and weights across a restart', async () => {
    const token = fs.readFileSync(path.join(home, 'gateway', 'admin-token'), 'utf8').trim();
    const admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token });
    const put = await admin.putEndpoint('churn', {
      variants: [
        { name: 'v1', upstream: upstream.url, modelName: 'churn', modelVersion: '1' },
        { name: 'v2', upstream: upstream.url, modelName: 'churn', modelVersion: '2' },
      ],
      weights: { v1: 60, v2: 40 },
      // a long flush interval: only the shutdown flush can write this batch
      capture: { sampleRate: 1, maxBatch: 1000, flushSeconds: 3600 },
    });
    for (const id of ['r-1', 'r-2']) {
      const res = await infer(id);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.equal(await stop(), 0, stderr);

    const store = testS3Store(prefix);
    const ids: string[] = [];
    for await (const info of store.list('endpoints/churn/capture/')) {
      const text = (await store.getBytes(info.key)).toString('utf8');
      for (const line of text.trim().split('\n')) ids.push((JSON.parse(line) as { requestId: string }).requestId);
    }
    // the clients' ids, signed by the gateway
    assert.deepEqual(ids.map((id) => id.replace(/\.[A-Za-z0-9_-]{22}$/, '')).sort(), ['r-1', 'r-2']);

    await start();
    const after = await admin.getEndpoint('churn');
    assert.equal(after?.revision, put.revision);
    assert.deepEqual(after?.weights, { v1: 60, v2: 40 });
    assert.deepEqual(
      after?.variants.map((v) => v.name),
      ['v1', 'v2'],
    );
    const res = await infer('r-3');
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(await stop(), 0, stderr);
  });

  it('takes the admin token from MLOPS_GATEWAY_TOKEN when set', async () => {
    await start({ MLOPS_GATEWAY_TOKEN: 'token-from-env-long-enough-for-the-gateway' });
    const admin = new GatewayAdminClient({
      adminUrl: `http://127.0.0.1:${adminPort}`,
      token: 'token-from-env-long-enough-for-the-gateway',
    });
    assert.equal((await admin.listEndpoints()).length, 1);
    const fileToken = fs.readFileSync(path.join(home, 'gateway', 'admin-token'), 'utf8').trim();
    const withFile = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token: fileToken });
    await assert.rejects(withFile.listEndpoints(), (err) => err instanceof GatewayAdminError && err.status === 401);
    await stop();
  });

  it('refuses a busy port with a message naming the flags', async () => {
    await start();
    const second = startCli(['gateway', '--port', String(port), '--admin-port', String(await freePort())], env);
    let err = '';
    second.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(err, /--port/);
    await stop();
  });

  it("sets an endpoint's capture sample rate with mlops endpoints capture, keeping the rest of the endpoint", async () => {
    await start();
    const token = fs.readFileSync(path.join(home, 'gateway', 'admin-token'), 'utf8').trim();
    const admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token });
    const withGateway = {
      ...env,
      MLOPS_GATEWAY_URL: `http://127.0.0.1:${port}`,
      MLOPS_GATEWAY_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
      MLOPS_GATEWAY_TOKEN: token,
    };
    const mlops = (...args: string[]) => runCli(args, withGateway);
    try {
      const before = await admin.getEndpoint('churn');
      assert.equal(before?.capture.sampleRate, 1);

      const set = await mlops('--json', 'endpoints', 'capture', 'churn', '--sample-rate', '0.25');
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), {
        endpoint: 'churn',
        previousSampleRate: 1,
        sampleRate: 0.25,
        changed: true,
        revision: before.revision + 1,
        capture: { sampleRate: 0.25, maxBatch: 1000, flushSeconds: 3600 },
      });
      const after = await admin.getEndpoint('churn');
      assert.deepEqual(after?.weights, before.weights);
      assert.deepEqual(after?.variants, before.variants);
      assert.deepEqual(after?.capture, { sampleRate: 0.25, maxBatch: 1000, flushSeconds: 3600 });

      const same = await mlops('endpoints', 'capture', 'churn', '--sample-rate', '.25');
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.stdout, 'churn: capture sample rate already 0.25; nothing changed\n');
      const off = await mlops('endpoints', 'capture', 'churn', '--sample-rate', '0');
      assert.equal(off.code, 0, off.stderr);
      assert.equal(off.stdout, `churn: capture sample rate 0.25 → 0 (revision ${before.revision + 2})\n`);

      for (const bad of ['1.5', '-0.1', 'half', '']) {
        const refused = await mlops('endpoints', 'capture', 'churn', '--sample-rate', bad);
        assert.equal(refused.code, 2, `${bad}: ${refused.stderr}`);
        assert.match(refused.stderr, /--sample-rate: expected a number from 0 to 1, got "/);
      }
      const missing = await mlops('endpoints', 'capture', 'churn');
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--sample-rate/);
      const unknown = await mlops('endpoints', 'capture', 'nope', '--sample-rate', '0.5');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no endpoint nope on the gateway; endpoints: churn/);
      assert.equal((await admin.getEndpoint('churn'))?.revision, before.revision + 2);
    } finally {
      await stop();
    }
  });
});
