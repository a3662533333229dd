/**
 * What the gateway's errors give away, and what a bad body costs it: public answers name the
 * variant and the kind of failure but never an upstream's address or text (the operator's log has
 * them, with tokens redacted); a deeply nested JSON body gets a 400 naming the nesting, not a 500
 * with a stack trace in the log; the admin token file is refused when its group or others can read
 * it, and a short admin token is refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createBlobStore } from '../../activities/storage';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { ensureAdminToken, startGateway, type RunningGateway } from '../../gateway';
import { freePort } from '../../lib/ports';
import { runCli } from '../support/cli';
import { suiteTeardown } from '../support/teardown';

const TOKEN = 'errors-test-admin-token-of-32-characters';
const SECRET_TEXT = 'internal: db at postgres://model:hunter2@10.1.2.3/features';

describe('security: gateway errors leak nothing and bad bodies cost nothing', function () {
  this.timeout(60_000);
  const teardown = suiteTeardown();
  let root: string;
  let gateway: RunningGateway;
  let failing: http.Server;
  let failingUrl: string;
  const log: string[] = [];

  const post = (endpoint: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v2/models/${endpoint}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const oneRow = JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] });

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-gateway-errors-'));
    teardown.add('the temporary folder', () => fs.rmSync(root, { recursive: true, force: true }));
    // a model server that fails, quoting internals and (as a badly written one might) the admin token
    failing = await teardown.start(
      'the failing upstream',
      () =>
        new Promise<http.Server>((resolve) => {
          const server = http.createServer((req, res) => {
            req.resume();
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`${SECRET_TEXT} token=${TOKEN}`);
          });
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
      (s) => new Promise((r) => s.close(r)),
    );
    failingUrl = `http://operator:s3cret@127.0.0.1:${(failing.address() as AddressInfo).port}`;
    gateway = await teardown.start(
      'the gateway',
      () =>
        startGateway({
          stateFile: path.join(root, 'state.json'),
          store: createBlobStore({ kind: 'file', root: path.join(root, 'store'), uri: `file://${root}/store` }),
          adminToken: TOKEN,
          port: 0,
          adminPort: 0,
          log: (line) => log.push(line),
        }),
      (g) => g.close(),
    );
    const admin = new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: TOKEN });
    await admin.putEndpoint('failing', {
      variants: [{ name: 'a', upstream: failingUrl, modelName: 'm' }],
      weights: { a: 100 },
    });
    const deadPort = await freePort();
    await admin.putEndpoint('dead', {
      variants: [{ name: 'a', upstream: `http://127.0.0.1:${deadPort}`, modelName: 'm' }],
      weights: { a: 100 },
    });
  });

  it("answers a model server's failure with a generic 502, its detail only in the operator's log, redacted", async () => {
    const res = await post('failing', oneRow);
    assert.equal(res.status, 502);
    const text = await res.text();
    assert.match(text, /variant a: the model server failed/);
    for (const leak of ['hunter2', '10.1.2.3', 's3cret', '127.0.0.1', TOKEN]) assert.ok(!text.includes(leak), text);
    const line = log.find((l) => l.includes('answered 500'));
    assert.ok(line, log.join('\n'));
    assert.match(line, /hunter2/); // the operator sees what the model server said …
    assert.ok(!line.includes(TOKEN) && !line.includes('s3cret'), line); // … without tokens or URL credentials
    assert.match(line, /\[redacted\]/);
  });

  it('answers an unreachable model server with a 502 that does not name its address', async () => {
    const res = await post('dead', oneRow);
    assert.equal(res.status, 502);
    const text = await res.text();
    assert.match(text, /the model server is unreachable/);
    assert.doesNotMatch(text, /127\.0\.0\.1|ECONNREFUSED|http:/);
    assert.ok(log.some((l) => /unreachable/.test(l) && l.includes('127.0.0.1')));
  });

  it('answers deeply nested JSON with a 400 naming the nesting, and logs no error', async () => {
    const depth = 100_000;
    const deepParameters = `{"parameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}`;
    const deepData = JSON.stringify({
      inputs: [{ name: 'x', shape: Array(20_000).fill(1), datatype: 'FP64', data: [] }],
    }).replace('"data":[]', `"data":${'['.repeat(20_000)}1${']'.repeat(20_000)}`);
    const before = log.length;
    for (const body of [deepParameters, deepData]) {
      const res = await post('failing', body);
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: string }).error, /^body: nested more than 64 levels deep$/);
    }
    const feedback = await fetch(`${gateway.url}/v2/models/failing/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    });
    assert.equal(feedback.status, 400);
    await feedback.arrayBuffer();
    assert.deepEqual(log.slice(before), [], 'the gateway logged an error for a bad body');
    assert.equal((await fetch(`${gateway.url}/v2/health/ready`)).status, 200);
  });

  it('refuses an admin token file its group or others can read, naming the file', () => {
    const file = path.join(root, 'token-home', 'admin-token');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'a'.repeat(40) + '\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    assert.throws(
      () => ensureAdminToken(file),
      (err: Error) => err.message.includes(file) && /group or others .*0644.*chmod 600/.test(err.message),
    );
    fs.chmodSync(file, 0o600);
    assert.equal(ensureAdminToken(file), 'a'.repeat(40));
    // a symbolic link to another file is refused too
    const link = path.join(root, 'token-home', 'linked-token');
    fs.symlinkSync(file, link);
    assert.throws(() => ensureAdminToken(link), /symbolic link/);
  });

  it('refuses a short admin token from the file or MLOPS_GATEWAY_TOKEN', () => {
    const file = path.join(root, 'short-home', 'admin-token');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'short-token\n', { mode: 0o600 });
    assert.throws(() => ensureAdminToken(file), /11 characters, fewer than 32/);
    assert.throws(() => ensureAdminToken(path.join(root, 'none'), 'letmein'), /MLOPS_GATEWAY_TOKEN: .*fewer than 32/);
  });

  it('`mlops gateway` does not start with a readable token file, and says why', async () => {
    const home = path.join(root, 'cli-home');
    const file = path.join(home, 'gateway', 'admin-token');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'b'.repeat(40) + '\n');
    fs.chmodSync(file, 0o640);
    const run = await runCli(
      ['gateway', '--port', String(await freePort()), '--admin-port', String(await freePort())],
      {
        MLOPS_HOME: home,
        MLOPS_STORE: `file://${path.join(root, 'cli-store')}`,
        MLOPS_GATEWAY_TOKEN: '',
      },
      30_000,
    );
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.includes(file), run.stderr);
    assert.match(run.stderr, /chmod 600/);
  });
});
