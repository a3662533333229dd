/**
 * An anonymous client of the gateway's public port cannot take it down: large requests while the
 * store hangs (it answered while the gateway started and read its endpoints, then stopped answering)
 * leave a real `mlops gateway` process (with a small heap) alive and serving, its capture dropped and counted; a client over its rate gets 429 with Retry-After while others are served;
 * a client that never finishes its headers is cut after headersTimeout; connections past
 * maxConnections are refused while the gateway stays up.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBlobStore } from '../../activities/storage';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../gateway';
import { RateLimiter } from '../../gateway/rate-limit';
import { freePort, waitFor } from '../../lib/ports';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream';
import { MLOPS_BIN } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';

const TOKEN = 'dos-test-admin-token-of-32-characters-at-least';

/** An OIP v2 request of about `bytes` bytes (one BYTES tensor of one long string). */
function bigRequest(bytes: number) {
  return JSON.stringify({ inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['x'.repeat(bytes)] }] });
}

/** POSTs `body` from `localAddress` (a loopback address) and returns status, headers and text. */
function post(
  url: string,
  body: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the milliseconds until the socket closes (or `undefined` if it is still open after `withinMs`). */
function closesWithin(socket: net.Socket, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), withinMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => undefined);
    socket.once('error', reject);
    socket.resume();
  });
}

describe('security: an anonymous client cannot crash or exhaust the gateway', function () {
  this.timeout(180_000);
  const teardown = suiteTeardown();
  let upstream: FakeUpstream;
  let root: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-gateway-dos-'));
    teardown.add('the temporary folder', () => fs.rmSync(root, { recursive: true, force: true }));
    upstream = await teardown.start(
      'the upstream',
      () => startFakeUpstream(0.5),
      (u) => u.close(),
    );
  });

  /** An in-process gateway with endpoint `e` in front of the fake upstream. */
  async function gatewayWith(opts: Partial<GatewayOptions>): Promise<RunningGateway> {
    const dir = fs.mkdtempSync(path.join(root, 'gw-'));
    const gateway = await teardown.start(
      'a gateway',
      () =>
        startGateway({
          stateFile: path.join(dir, 'state.json'),
          store: createBlobStore({ kind: 'file', root: path.join(dir, 'store'), uri: `file://${dir}/store` }),
          adminToken: TOKEN,
          port: 0,
          adminPort: 0,
          log: () => undefined,
          ...opts,
        }),
      (g) => g.close(),
    );
    await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: TOKEN }).putEndpoint('e', {
      variants: [{ name: 'a', upstream: upstream.url, modelName: 'm' }],
      weights: { a: 100 },
    });
    return gateway;
  }

  it('keeps a gateway with a 160 MB heap alive and serving under large requests while the store hangs', async () => {
    // the test MinIO behind a switch: passed through until `hanging`, then a store that accepts
    // connections and never answers (every capture write and read of the endpoints hangs)
    const { minio } = testStack();
    const minioUrl = new URL(minio.endpoint);
    let hanging = false;
    const hung = new Set<net.Socket>();
    const blackhole = net.createServer((socket) => {
      hung.add(socket);
      socket.on('error', () => undefined);
      if (hanging) {
        socket.resume();
        return;
      }
      const upstreamSocket = net.connect(Number(minioUrl.port), minioUrl.hostname);
      hung.add(upstreamSocket);
      upstreamSocket.on('error', () => socket.destroy());
      socket.pipe(upstreamSocket).pipe(socket);
    });
    const hang = () => {
      hanging = true;
      // connections kept alive to MinIO are cut: the store's next requests meet the hanging switch
      for (const s of hung) s.destroy();
      hung.clear();
    };
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    teardown.add('the hanging store', async () => {
      for (const s of hung) s.destroy();
      await new Promise((r) => blackhole.close(r));
    });
    const storePort = (blackhole.address() as net.AddressInfo).port;
    const [port, adminPort] = [await freePort(), await freePort()];
    let output = '';
    const child: ChildProcess = spawn(
      process.execPath,
      ['--max-old-space-size=160', MLOPS_BIN, 'gateway', '--port', String(port), '--admin-port', String(adminPort)],
      {
        env: {
          ...process.env,
          MLOPS_HOME: path.join(root, 'home'),
          MLOPS_STORE: `s3://${minio.bucket}/dos-${Date.now().toString(36)}`,
          MLOPS_S3_ENDPOINT: `http://127.0.0.1:${storePort}`,
          AWS_ACCESS_KEY_ID: minio.accessKeyId,
          AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
          MLOPS_GATEWAY_TOKEN: TOKEN,
          MLOPS_GATEWAY_CAPTURE_BUFFER_BYTES: String(16 * 1024 * 1024),
          MLOPS_GATEWAY_RATE_LIMIT: '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    teardown.add('the gateway process', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}`;
    assert.ok(
      await waitFor(async () => (await fetch(`${url}/v2/health/ready`).catch(() => undefined))?.ok === true, 60_000),
      `the gateway did not start:\n${output}`,
    );
    const admin = new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token: TOKEN });
    await admin.putEndpoint('e', {
      variants: [{ name: 'a', upstream: upstream.url, modelName: 'm' }],
      weights: { a: 100 },
      capture: { sampleRate: 1, maxBatch: 10, flushSeconds: 1 },
    });
    hang();

    // 400 requests of 900 KB: 360 MB of captures, more than twice the whole heap
    const body = bigRequest(900 * 1024);
    const statuses: number[] = [];
    for (let round = 0; round < 50; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(`${url}/v2/models/e/infer`, body)));
      statuses.push(...answers.map((a) => a.status));
      assert.equal(child.exitCode, null, `the gateway exited after ${statuses.length} requests:\n${output}`);
    }
    assert.ok(
      statuses.every((s) => s === 200),
      `not every request was served: ${JSON.stringify([...new Set(statuses)])}`,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const dropped = /^mlops_gateway_capture_dropped_total\{endpoint="e",kind="capture"\} (\d+)$/m.exec(metrics);
    assert.ok(dropped && Number(dropped[1]) > 300, `captures not dropped:\n${metrics}`);
    // a small request still gets through, and the process stayed within a bounded size
    const small = await post(`${url}/v2/models/e/infer`, bigRequest(10));
    assert.equal(small.status, 200);
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    assert.ok(rss && Number(rss[1]) < 600 * 1024, `resident size ${rss?.[1]} kB`);
    assert.equal(child.exitCode, null);
    assert.doesNotMatch(output, /RangeError|heap out of memory|unexpected error/);
  });

  it('answers 429 with Retry-After to a client over its rate, while another client is served', async () => {
    const gateway = await gatewayWith({ rateLimitPerSecond: 2, rateLimitBurst: 5 });
    const infer = `${gateway.url}/v2/models/e/infer`;
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await post(infer, bigRequest(10), '127.0.0.1'));
    assert.deepEqual(
      answers.slice(0, 5).map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(limited.length >= 4, JSON.stringify(answers.map((a) => a.status)));
    assert.ok(Number(limited[0]!.headers['retry-after']) >= 1, JSON.stringify(limited[0]!.headers));
    assert.match(limited[0]!.text, /too many requests/);
    // another address on the loopback has a bucket of its own
    const other = await post(infer, bigRequest(10), '127.0.0.2');
    assert.equal(other.status, 200, other.text);
    // and the first is served again once its bucket refilled
    await sleep(1100);
    assert.equal((await post(infer, bigRequest(10), '127.0.0.1')).status, 200);
    assert.match(await (await fetch(`${gateway.url}/metrics`)).text(), /^mlops_gateway_rate_limited_total\{\} \d+$/m);
  });

  it("keeps the rate limiter's memory bounded however many clients it sees", () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, maxClients: 1000 });
    for (let i = 0; i < 100_000; i++) limiter.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0);
    assert.equal(limiter.clients, 1000);
    assert.equal(limiter.evictions, 99_000);
    // a client seen recently is still remembered (and still limited)
    assert.equal(limiter.take('10.1.134.159', 0).ok, false);
  });

  it('cuts a client that never finishes its headers after headersTimeout', async () => {
    const gateway = await gatewayWith({ headersTimeoutMs: 1000 });
    const socket = await connect(gateway.port);
    socket.write('POST /v2/models/e/infer HTTP/1.1\r\nhost: gateway\r\n');
    // one header byte every 100 ms, never the blank line that ends the headers
    const drip = setInterval(() => socket.writable && socket.write('x'), 100);
    try {
      const closedAfter = await closesWithin(socket, 5000);
      assert.ok(closedAfter !== undefined, 'the slow client still holds its connection after 5 s');
      assert.ok(closedAfter >= 900, `closed after ${closedAfter} ms, before headersTimeout`);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    assert.equal((await post(`${gateway.url}/v2/models/e/infer`, bigRequest(10))).status, 200);
  });

  it('refuses connections beyond maxConnections and stays up', async () => {
    const gateway = await gatewayWith({ maxConnections: 5, headersTimeoutMs: 20_000 });
    const held = await Promise.all(Array.from({ length: 5 }, () => connect(gateway.port)));
    try {
      const extra = await connect(gateway.port);
      const closedAfter = await closesWithin(extra, 3000);
      extra.destroy();
      assert.ok(closedAfter !== undefined, 'a sixth connection was kept open');
      // the five held connections are still served
      held[0]!.write('GET /v2/health/live HTTP/1.1\r\nhost: gateway\r\n\r\n');
      const answer = await new Promise<string>((resolve) =>
        held[0]!.once('data', (d: Buffer) => resolve(d.toString())),
      );
      assert.match(answer, /^HTTP\/1\.1 200/);
    } finally {
      for (const s of held) s.destroy();
    }
    await sleep(100);
    assert.equal((await fetch(`${gateway.url}/v2/health/ready`)).status, 200);
    assert.match(
      await (await fetch(`${gateway.url}/metrics`)).text(),
      /^mlops_gateway_connections_refused_total\{\} [1-9]\d*$/m,
    );
  });
});
