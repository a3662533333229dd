/**
 * The codec server is no decryption oracle. Each attack a web page or a neighbour could make is
 * tried against a real server on 127.0.0.1 (in this process, and `mlops codec-server` as a child):
 * no token or a wrong one, a foreign Origin, a cross-site "simple" request (text/plain), a
 * rebinding page's own Host name, a tampered payload; each is refused and learns nothing (no key
 * id, no stack, no CORS header), while the UI's origin with the token still decodes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCodecServer, type RunningCodecServer } from '../../codec-server/server';
import { AesGcmCodec, codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { freePort, waitFor } from '../../lib/ports';
import { runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';

const UI = 'http://127.0.0.1:8233';
const KEY_ID = 'prod-key-7';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request, so Host and Origin are exactly what an attacker would send. */
function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('the codec server refuses to be an oracle', function () {
  this.timeout(60_000);
  const token = randomBytes(24).toString('base64url');
  const codec = new AesGcmCodec(
    codecKeysFromEnv({ MLOPS_CODEC_KEYS: `${KEY_ID}:${randomBytes(32).toString('base64')}` })!,
  );
  const logged: string[] = [];
  let server: RunningCodecServer;
  let sealedBody: string;
  const json = { 'content-type': 'application/json' };
  const auth = { authorization: `Bearer ${token}` };

  before(async () => {
    server = await startCodecServer({ codec, token, port: 0, corsOrigins: [UI], log: (l) => logged.push(l) });
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ secret: 'the-plain-text' })]);
    sealedBody = JSON.stringify({ payloads: [wire(sealed!)] });
  });

  after(() => server?.close());

  it('decodes for the UI origin with the token, as a header or as the endpoint path', async () => {
    for (const [url, headers] of [
      [`${server.url}/decode`, { ...json, ...auth, origin: UI }],
      [`${server.uiEndpoint}/decode`, { ...json, origin: UI }],
    ] as const) {
      const r = await call(url, { headers, body: sealedBody });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['access-control-allow-origin'], UI);
      const [payload] = (JSON.parse(r.body) as { payloads: { data: string }[] }).payloads;
      assert.match(Buffer.from(payload!.data, 'base64').toString(), /the-plain-text/);
    }
  });

  it('answers 401 without a token and with a wrong one, in the header or the path', async () => {
    const wrong = randomBytes(24).toString('base64url');
    const attempts: [string, Record<string, string>][] = [
      [`${server.url}/decode`, json],
      [`${server.url}/decode`, { ...json, authorization: `Bearer ${wrong}` }],
      [`${server.url}/decode`, { ...json, authorization: `Bearer ${token.slice(0, -1)}` }],
      [`${server.url}/${wrong}/decode`, json],
      [`${server.url}/encode`, json],
    ];
    for (const [url, headers] of attempts) {
      const r = await call(url, { headers, body: sealedBody });
      assert.equal(r.status, 401, `${url}: ${r.body}`);
      assert.doesNotMatch(r.body, /the-plain-text/);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
  });

  it('answers 403 with no CORS headers to an Origin that is not allowed, preflight or not', async () => {
    const evil = 'http://evil.example';
    const preflight = await call(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: evil,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal(preflight.headers['access-control-allow-methods'], undefined);
    // even with the token (a page that somehow learnt it), a foreign origin reads nothing
    const r = await call(`${server.url}/decode`, { headers: { ...json, ...auth, origin: evil }, body: sealedBody });
    assert.equal(r.status, 403);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.doesNotMatch(r.body, /the-plain-text/);
    const allowed = await call(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], UI);
  });

  it('answers 415 to a text/plain body (a cross-site request without preflight)', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded']) {
      const r = await call(`${server.uiEndpoint}/decode`, {
        headers: { 'content-type': type, origin: UI },
        body: sealedBody,
      });
      assert.equal(r.status, 415, type);
      assert.doesNotMatch(r.body, /the-plain-text/);
    }
  });

  it('answers 421 to a Host of another name (DNS rebinding), and serves IP literals and localhost', async () => {
    const port = new URL(server.url).port;
    const rebound = await call(`${server.url}/decode`, {
      headers: { ...json, ...auth, host: `attacker.example:${port}` },
      body: sealedBody,
    });
    assert.equal(rebound.status, 421);
    assert.doesNotMatch(rebound.body, /the-plain-text/);
    // a rebinding page sends its own origin too, but the Host check stands alone: no Origin here
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const r = await call(`${server.url}/decode`, { headers: { ...json, ...auth, host }, body: sealedBody });
      assert.equal(r.status, 200, host);
    }
  });

  it('refuses a payload with a truncated auth tag or an unknown key with a bare 400: no key id, no stack', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const data = Buffer.from(sealed!.data!);
    const truncatedTag = { ...sealed!, data: data.subarray(0, data.length - 12) };
    const tooShort = { ...sealed!, data: data.subarray(0, 16) };
    const otherKey = {
      ...sealed!,
      metadata: { ...sealed!.metadata, 'encryption-key-id': Buffer.from('someone-elses-key') },
    };
    logged.length = 0;
    for (const payload of [truncatedTag, tooShort, otherKey]) {
      const r = await call(`${server.url}/decode`, {
        headers: { ...json, ...auth, origin: UI },
        body: JSON.stringify({ payloads: [wire(payload)] }),
      });
      assert.equal(r.status, 400);
      assert.deepEqual(JSON.parse(r.body), { error: 'cannot decode' });
      assert.doesNotMatch(r.body, new RegExp(`${KEY_ID}|someone-elses-key|authenticate|\\bat \\w`));
    }
    // the reasons are in the server's log only, and the log never shows the token
    assert.equal(logged.length, 3, logged.join('\n'));
    assert.ok(logged.every((l) => !l.includes(token)));
  });

  it('refuses an all-zero, a 16-byte or a repeated key at start, naming MLOPS_CODEC_KEYS and not the key', async () => {
    const home = path.join(testStack().tmpDir, `codec-keys-${randomBytes(4).toString('hex')}`);
    const zero = Buffer.alloc(32).toString('base64');
    const short = randomBytes(16).toString('base64');
    const good = randomBytes(32).toString('base64');
    const cases: [string, string, RegExp][] = [
      [`k1:${zero}`, zero, /MLOPS_CODEC_KEYS: key k1 is one byte repeated/],
      [`k1:${short}`, short, /MLOPS_CODEC_KEYS: key k1 must be 32 bytes.*it has 16/],
      [`k1:${good},k2:${good}`, good, /MLOPS_CODEC_KEYS: keys k1 and k2 are the same key/],
    ];
    for (const [value, key, message] of cases) {
      const r = await runCli(['codec-server'], { MLOPS_HOME: home, MLOPS_CODEC_KEYS: value });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes(key) && !r.stdout.includes(key), 'the key is not echoed');
    }
  });

  it('`mlops codec-server` makes a private token file, requires the token, and never prints it', async () => {
    const home = path.join(testStack().tmpDir, `codec-home-${randomBytes(4).toString('hex')}`);
    const port = await freePort();
    const child = startCli(['codec-server', '--port', String(port)], {
      MLOPS_HOME: home,
      MLOPS_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MLOPS_CODEC_TOKEN: '',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      assert.ok(await waitFor(async () => stderr.includes('codec server on'), 20_000), stderr);
      const file = path.join(home, 'codec', 'token');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const fileToken = fs.readFileSync(file, 'utf8').trim();
      assert.ok(fileToken.length >= 32);
      const url = `http://127.0.0.1:${port}/decode`;
      const body = JSON.stringify({ payloads: [] });
      assert.equal((await call(url, { headers: json, body })).status, 401);
      assert.equal((await call(url, { headers: { ...json, authorization: `Bearer ${fileToken}` }, body })).status, 200);
      assert.match(stderr, /--codec-auth "Bearer \$\(cat .*codec\/token\)"/);
      assert.ok(!stderr.includes(fileToken), 'the token is not printed');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('`mlops dev up --ui-codec-endpoint` hands the UI the endpoint with the token, and logs it masked', async function () {
    this.timeout(120_000);
    const home = fs.mkdtempSync(path.join(testStack().tmpDir, 'codec-dev-'));
    const ports: number[] = [];
    while (ports.length < 5) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const [temporal, ui, gateway, admin, codecPort] = ports.map(String) as [string, string, string, string, string];
    const env = { MLOPS_HOME: home, MLOPS_STORE: undefined, TEMPORAL_ADDRESS: undefined, MLOPS_CODEC_TOKEN: undefined };
    const up = await runCli(
      [
        ...['dev', 'up', '--temporal-port', temporal, '--ui-port', ui],
        ...['--gateway-port', gateway, '--gateway-admin-port', admin],
        ...['--ui-codec-endpoint', `http://127.0.0.1:${codecPort}`],
      ],
      env,
      90_000,
    );
    try {
      assert.equal(up.code, 0, up.stderr);
      const fileToken = fs.readFileSync(path.join(home, 'codec', 'token'), 'utf8').trim();
      assert.match(up.stdout + up.stderr, /codec server with its token in the endpoint path/);
      assert.ok(!(up.stdout + up.stderr).includes(fileToken), 'dev up does not print the token');
      // what the UI's browser code is told to call
      const settings = await (await fetch(`http://127.0.0.1:${ui}/api/v1/settings`)).text();
      assert.ok(settings.includes(`http://127.0.0.1:${codecPort}/${fileToken}`), settings);
      const log = fs.readFileSync(path.join(home, 'logs', 'temporal.log'), 'utf8');
      assert.ok(!log.includes(fileToken), 'the command line in the log has the token masked');
      assert.match(log, new RegExp(`--ui-codec-endpoint http://127\\.0\\.0\\.1:${codecPort}/\\*\\*\\*`));
    } finally {
      await runCli(['dev', 'down'], env, 60_000);
    }
  });
});

function wire(p: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }) {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
