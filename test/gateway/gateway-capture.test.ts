import assert from 'node:assert/strict';
import path from 'node:path';
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../../activities/storage/types';
import { startGateway } from '../../gateway';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { CAPTURE_TAGS } from '../../gateway/capture';
import { testStack } from '../support/stack';
import { inferBody, pinned, readNdjson, TOKEN, startHarness, type Harness } from './harness';

describe('inference gateway: capture and feedback', function () {
  this.timeout(60_000);

  let h: Harness;
  let s3: S3Client;
  before(async () => {
    h = await startHarness();
    const { minio } = testStack();
    s3 = new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    });
  });
  after(async () => {
    s3?.destroy();
    await h?.close();
  });
  /** The S3 tags of a key of the harness's store. */
  const tagsOf = async (key: string) => {
    const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(h.store.uri)!;
    const out = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: `${prefix}/${key}` }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key, t.Value]));
  };

  it('writes sampled requests with variant and request id to the store as NDJSON', async () => {
    await h.admin.setWeights('churn', { blue: 0, green: 100 });
    const ids: string[] = [];
    try {
      for (const id of ['cap-1', 'cap-2', 'cap-3']) ids.push(await h.issuedId('churn', id));
    } finally {
      await h.admin.setWeights('churn', { blue: 80, green: 20 });
    }
    await h.gateway.context.capture.flush();
    const records = await readNdjson(h.store, 'endpoints/churn/capture/');
    for (const id of ids) {
      const record = records.find((r) => r.requestId === id);
      assert.ok(record, `no capture of ${id}`);
      assert.equal(record.variant, 'green');
      assert.equal(record.modelVersion, '2');
      assert.equal(record.endpoint, 'churn');
      assert.equal(record.status, 200);
      assert.deepEqual((record.outputs as { data: number[] }[])[0]?.data, [0.75]);
      assert.deepEqual((record.inputs as { data: number[] }[])[0]?.data, [0, 1]);
      assert.equal(typeof record.latencyMs, 'number');
      assert.ok(!Number.isNaN(Date.parse(record.time as string)));
    }
    // captured batches carry the tags the bucket's lifecycle rule expires them by
    for await (const o of h.store.list('endpoints/churn/capture/')) assert.deepEqual(await tagsOf(o.key), CAPTURE_TAGS);
  });

  it('does not capture requests pinned to a variant', async () => {
    const res = await h.infer('churn', inferBody(1, 'pinned-1'), pinned('green'));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    await h.gateway.context.capture.flush();
    const records = await readNdjson(h.store, 'endpoints/churn/capture/');
    assert.ok(!records.some((r) => String(r.requestId).startsWith('pinned-1.')));
  });

  it('flushes a batch once it is old enough, without being asked', async () => {
    const timed = await h.issuedId('churn', 'timed-1');
    const deadline = Date.now() + 5000;
    for (;;) {
      const records = await readNdjson(h.store, 'endpoints/churn/capture/');
      if (records.some((r) => r.requestId === timed)) break;
      assert.ok(Date.now() < deadline, 'capture not flushed within 5 s (flushSeconds: 1)');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('captures nothing at sampleRate 0', async () => {
    await h.putChurn({ blue: 80, green: 20 }, { sampleRate: 0, maxBatch: 1000, flushSeconds: 1 });
    try {
      const notSampled = await h.issuedId('churn', 'not-sampled');
      await h.gateway.context.capture.flush();
      const records = await readNdjson(h.store, 'endpoints/churn/capture/');
      assert.ok(!records.some((r) => r.requestId === notSampled));
    } finally {
      await h.putChurn({ blue: 80, green: 20 });
    }
  });

  it('accepts feedback labels (one or many) with 202 and writes them as NDJSON', async () => {
    const [a, b, c] = [await h.issuedId('churn'), await h.issuedId('churn'), await h.issuedId('churn')];
    const post = (body: unknown) => h.feedback('churn', body);
    const one = await post({ requestId: a, label: 1 });
    assert.equal(one.status, 202);
    const many = await post([
      { requestId: b, label: 0 },
      { requestId: c, label: 'churned' },
    ]);
    assert.equal(many.status, 202);
    assert.deepEqual(await many.json(), { accepted: 2 });
    const bad = await post({ requestId: '', label: 1 });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /requestId/);
    const badLabel = await post([{ requestId: a, label: { x: 1 } }]);
    assert.equal(badLabel.status, 400);
    assert.match(((await badLabel.json()) as { error: string }).error, /\[0\]\.label/);
    await h.gateway.context.capture.flush();
    const records = await readNdjson(h.store, 'endpoints/churn/feedback/');
    assert.deepEqual(
      records.map((r) => [r.requestId, r.label]).sort(),
      [
        [a, 1],
        [b, 0],
        [c, 'churned'],
      ].sort(),
    );
    // labels expire with the requests they label: the same lifecycle tags
    for await (const o of h.store.list('endpoints/churn/feedback/'))
      assert.deepEqual(await tagsOf(o.key), CAPTURE_TAGS);
  });

  it('drops and counts captures when the store cannot keep up, instead of growing', async () => {
    // the test store, but every write takes 300 ms
    const slowStore: BlobStore = Object.assign(Object.create(h.store) as BlobStore, {
      put: () => new Promise<{ etag: string }>((resolve) => setTimeout(() => resolve({ etag: 'x' }), 300)),
    });
    const small = await startGateway({
      stateFile: path.join(path.dirname(h.stateFile), 'small-state.json'),
      store: slowStore,
      adminToken: TOKEN,
      port: 0,
      adminPort: 0,
      maxCaptureRecords: 5,
      rateLimitPerSecond: 0,
      log: () => undefined,
    });
    try {
      const smallAdmin = new GatewayAdminClient({ adminUrl: small.adminUrl, token: TOKEN });
      await smallAdmin.putEndpoint('busy', {
        variants: [{ name: 'a', upstream: h.blue.url, modelName: 'm' }],
        weights: { a: 100 },
        capture: { maxBatch: 1 },
      });
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${small.url}/v2/models/busy/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(inferBody()),
        });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      assert.ok(small.context.capture.buffered <= 5);
      const text = await (await fetch(`${small.url}/metrics`)).text();
      const dropped = /mlops_gateway_capture_dropped_total\{endpoint="busy",kind="capture"\} (\d+)/.exec(text);
      assert.ok(dropped && Number(dropped[1]) > 0, text);
    } finally {
      await small.close();
    }
  });
});
