/**
 * The public API cannot steer rollouts, A/B tests or drift: pinning a variant needs a credential
 * and pinned requests stay out of the figures a canary analysis reads; feedback needs the endpoint's
 * feedback token and names only request ids the gateway issued; stored labels carry the capture
 * lifecycle tags; the A/B outcome count holds a bounded number of request ids.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { countAbTestOutcomes } from '../../activities/abtest';
import { createBlobStore } from '../../activities/storage';
import { CAPTURE_TAGS, captureKey } from '../../gateway/capture';
import { runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { inferBody, pinned, readNdjson, startHarness, TOKEN, type Harness } from '../gateway/harness';

describe('security: anonymous clients cannot steer rollouts, A/B tests or drift', function () {
  this.timeout(60_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  const labelsStored = async () => {
    await h.gateway.context.capture.flush();
    return readNdjson(h.store, 'endpoints/churn/feedback/');
  };
  const feedbackCounted = async () =>
    /^mlops_gateway_feedback_total\{endpoint="churn"\} (\d+)$/m.exec(
      await (await fetch(`${h.gateway.url}/metrics`)).text(),
    )?.[1] ?? '0';

  it('refuses an anonymous request pinned to a weight-0 variant, and keeps pinned requests out of the analysis', async () => {
    await h.admin.setWeights('churn', { blue: 100, green: 0 });
    try {
      const greenBefore = h.green.received.length;
      const anonymous = await h.infer('churn', inferBody(), { 'x-mlops-variant': 'green' });
      assert.equal(anonymous.status, 403);
      assert.match(((await anonymous.json()) as { error: string }).error, /^x-mlops-variant: .*token/);
      const wrong = await h.infer('churn', inferBody(), pinned('green', 'not-the-token-of-this-endpoint-at-all'));
      assert.equal(wrong.status, 403);
      await wrong.arrayBuffer();
      assert.equal(h.green.received.length, greenBefore, 'the weight-0 variant was reached');

      // with the endpoint's token the request is served, but counted apart from the endpoint's traffic
      const token = await h.admin.feedbackToken('churn');
      for (let i = 0; i < 5; i++) {
        const res = await h.infer('churn', inferBody(), pinned('green', token));
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const figures = await h.admin.metrics('churn', 60);
      assert.equal(figures.variants.green?.requests, 0, JSON.stringify(figures.variants.green));
      const text = await (await fetch(`${h.gateway.url}/metrics`)).text();
      assert.match(text, /^mlops_gateway_pinned_requests_total\{endpoint="churn",variant="green",code="200"\} 5$/m);
    } finally {
      await h.admin.setWeights('churn', { blue: 80, green: 20 });
    }
  });

  it('refuses feedback without the token (401) or with a wrong one (403), storing nothing', async () => {
    const requestId = await h.issuedId('churn');
    const counted = await feedbackCounted();
    const none = await h.feedback('churn', { requestId, label: 1 }, null);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: string }).error, /feedback token/);
    const wrong = await h.feedback('churn', { requestId, label: 1 }, 'a-guessed-token-that-is-not-the-real-one');
    assert.equal(wrong.status, 403);
    await wrong.arrayBuffer();
    // another endpoint's token is no good here either
    await h.admin.putEndpoint('other', {
      variants: [{ name: 'a', upstream: h.blue.url, modelName: 'm' }],
      weights: { a: 100 },
    });
    try {
      const otherToken = await h.admin.feedbackToken('other');
      const crossed = await h.feedback('churn', { requestId, label: 1 }, otherToken);
      assert.equal(crossed.status, 403);
      await crossed.arrayBuffer();
    } finally {
      await h.admin.deleteEndpoint('other');
    }
    assert.deepEqual(await labelsStored(), []);
    assert.equal(await feedbackCounted(), counted);
  });

  it('refuses feedback for request ids the gateway never issued, storing nothing', async () => {
    const issued = await h.issuedId('churn', 'real-request');
    const forged = [
      'real-request', // the client's id without the gateway's signature
      `${issued.slice(0, -1)}${issued.endsWith('A') ? 'B' : 'A'}`, // a tampered signature
      `other-request${issued.slice(issued.lastIndexOf('.'))}`, // a signature moved to another id
    ];
    for (const requestId of forged) {
      const res = await h.feedback('churn', [
        { requestId: issued, label: 1 },
        { requestId, label: 0 },
      ]);
      assert.equal(res.status, 422, requestId);
      assert.match(
        ((await res.json()) as { error: string }).error,
        /^\[1\]\.requestId: .* not a request id this gateway issued/,
      );
    }
    assert.deepEqual(await labelsStored(), []);
  });

  it('stores a label for an issued request id with the capture lifecycle tags', async () => {
    const requestId = await h.issuedId('churn', 'labelled');
    const res = await h.feedback('churn', { requestId, label: 1 });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: 1 });
    const records = await labelsStored();
    assert.deepEqual(
      records.map((r) => [r.requestId, r.label]),
      [[requestId, 1]],
    );
    const { minio } = testStack();
    const s3 = new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    });
    try {
      const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(h.store.uri)!;
      for await (const o of h.store.list('endpoints/churn/feedback/')) {
        const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: `${prefix}/${o.key}` }));
        assert.deepEqual(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])), CAPTURE_TAGS);
      }
    } finally {
      s3.destroy();
    }
  });

  it('gives the operator the feedback token through `mlops endpoints feedback-token`, and rotates it', async () => {
    const env = {
      MLOPS_GATEWAY_URL: h.gateway.url,
      MLOPS_GATEWAY_ADMIN_URL: h.gateway.adminUrl,
      MLOPS_GATEWAY_TOKEN: TOKEN,
    };
    const shown = await runCli(['--json', 'endpoints', 'feedback-token', 'churn'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const { token } = JSON.parse(shown.stdout) as { token: string };
    assert.equal(token, await h.admin.feedbackToken('churn'));
    const rotated = await runCli(['--json', 'endpoints', 'feedback-token', 'churn', '--rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = (JSON.parse(rotated.stdout) as { token: string }).token;
    assert.notEqual(fresh, token);
    const requestId = await h.issuedId('churn');
    const stale = await h.feedback('churn', { requestId, label: 0 }, token);
    assert.equal(stale.status, 403);
    await stale.arrayBuffer();
    const missing = await runCli(['endpoints', 'feedback-token', 'no-such-endpoint'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no endpoint no-such-endpoint/);
  });

  it('keeps the A/B outcome count bounded however many request ids it reads', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-ab-bound-'));
    try {
      const store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
      const at = new Date('2026-03-01T10:31:00Z');
      const captures = Array.from({ length: 5000 }, (_, i) => ({
        requestId: `r${i}`,
        time: at.toISOString(),
        variant: i % 2 === 0 ? 'v1' : 'v2',
        outputs: [{ name: 'predict', datatype: 'INT64', shape: [1], data: [1] }],
        status: 200,
      }));
      const lines = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      await store.put(captureKey('shop', 'capture', at), lines(captures));
      await store.put(
        captureKey('shop', 'feedback', at),
        lines(captures.map((c) => ({ requestId: c.requestId, label: 1 }))),
      );
      const counts = await countAbTestOutcomes(store, {
        endpoint: 'shop',
        controlVariant: 'v1',
        treatmentVariant: 'v2',
        since: '2026-03-01T10:30:00Z',
        metric: 'accuracy',
        maxTrackedRequests: 1000,
      });
      assert.ok((counts.evicted ?? 0) >= 4000, JSON.stringify(counts));
      assert.ok(counts.control.trials + counts.treatment.trials <= 1000, JSON.stringify(counts));
      // the requests it still holds are counted right
      assert.equal(
        counts.control.successes + counts.treatment.successes,
        counts.control.trials + counts.treatment.trials,
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
