/**
 * The codec server's read-only report route (`GET /reports/<key>`) on a real socket, and the
 * report links `mlops status` prints. Needs no server: a filesystem store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import { reportKeys } from '../../activities/reports';
import { startCodecServer, type RunningCodecServer } from '../../codec-server/server';
import { renderStatus } from '../../client/render/retrain';
import { osc8, reportLinker } from '../../client/report-links';
import type { RetrainStatus } from '../../workflows/retrain-pipeline';

const RUN = 'retrain/churn/2026-11-27T11:40:52.646Z';

/** A raw GET (no URL normalisation, so `..` reaches the server as sent). */
function get(url: string, rawPath: string, headers: Record<string, string> = {}, method = 'GET') {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the report route of the codec server', function () {
  let server: RunningCodecServer;
  let store: FilesystemBlobStore;
  const key = reportKeys.evaluation(RUN);

  before(async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-report-server-'));
    store = new FilesystemBlobStore(root);
    await store.put(key, '<html><body>candidate vs champion</body></html>');
    await store.put('models/churn/state.json', '{"aliases":{}}');
    await store.put('reports/evaluations/notes.txt', 'not a report');
    server = await startCodecServer({ reports: store, token: 'x'.repeat(40), port: 0, corsOrigins: [] });
  });
  after(() => server.close());

  it('serves a report read-only, without the token, as HTML that may load nothing', async () => {
    const r = await get(server.url, `/${key}`);
    assert.equal(r.status, 200);
    assert.match(r.body, /candidate vs champion/);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal((await get(server.url, `/${key}`, {}, 'POST')).status, 405);
    assert.equal((await get(server.url, `/${key}`, {}, 'DELETE')).status, 405);
    assert.match((await store.getBytes(key)).toString(), /candidate vs champion/);
  });

  it('answers 404 to listings, keys outside the report prefixes and path traversal', async () => {
    for (const p of [
      '/reports/',
      '/reports/evaluations/',
      '/reports/evaluations/notes.txt',
      '/models/churn/state.json',
      '/reports/../models/churn/state.json',
      '/reports/evaluations/%2e%2e/%2e%2e/models/churn/state.json',
      '/reports/evaluations/..%2f..%2fmodels%2fchurn%2fstate.json',
      '/reports/evaluations/absent.html',
    ]) {
      const r = await get(server.url, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /aliases|not a report/, p);
    }
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin, like the codec routes', async () => {
    assert.equal((await get(server.url, `/${key}`, { host: 'evil.example:80' })).status, 421);
    assert.equal((await get(server.url, `/${key}`, { origin: 'http://evil.example' })).status, 403);
  });

  it('has no /encode or /decode without codec keys', async () => {
    const r = await get(server.url, '/decode', {}, 'POST');
    assert.equal(r.status, 404);
    assert.match(r.body, /serves reports only/);
  });
});

describe('report links in mlops status', () => {
  const status = {
    workflowId: RUN,
    stage: 'done',
    pipeline: 'churn',
    model: 'churn',
    steps: [],
    links: { report: `s3://bucket/team/${reportKeys.evaluation(RUN)}`, rollout: 'rollout/churn' },
  } as unknown as RetrainStatus & { workflowId: string };
  const s3 = { kind: 's3', uri: 's3://bucket/team' } as never;

  it('links a report through the report server when one is known, as an OSC 8 hyperlink in a terminal', () => {
    const url = `http://127.0.0.1:8888/${reportKeys.evaluation(RUN)}`;
    const plain = renderStatus(status, {
      link: reportLinker({ store: s3, reportsUrl: 'http://127.0.0.1:8888' }, false),
    });
    assert.match(plain, new RegExp(`^report: ${url.replace(/[.?]/g, '\\$&')}$`, 'm'));
    assert.match(plain, /^rollout: rollout\/churn$/m);
    const tty = renderStatus(status, { link: reportLinker({ store: s3, reportsUrl: 'http://127.0.0.1:8888' }, true) });
    assert.ok(tty.includes(`report: ${osc8(url, url)}`), tty);
  });

  it('links a filesystem store report as file://, and leaves an S3 report without a server as it is', () => {
    const file = { kind: 'file', root: '/srv/store', uri: 'file:///srv/store' } as never;
    const fsStatus = { ...status, links: { report: `file:///srv/store/${reportKeys.evaluation(RUN)}` } };
    assert.match(
      renderStatus(fsStatus, { link: reportLinker({ store: file }, false) }),
      /^report: file:\/\/\/srv\/store\/reports\/evaluations\/retrain%7E2Fchurn%7E2F.*\.html$/m,
    );
    assert.match(
      renderStatus(status, { link: reportLinker({ store: s3 }, true) }),
      /^report: s3:\/\/bucket\/team\/reports\//m,
    );
  });
});
