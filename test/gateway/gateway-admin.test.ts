import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { GatewayAdminError } from '../../activities/serving/gateway-client';
import { inferBody, startHarness, type Harness } from './harness';

describe('inference gateway: admin API', function () {
  this.timeout(60_000);

  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('lists and reads endpoints; an unknown one is 404', async () => {
    const list = await h.admin.listEndpoints();
    assert.deepEqual(
      list.map((e) => e.name),
      ['churn'],
    );
    const churn = await h.admin.getEndpoint('churn');
    assert.deepEqual(churn?.weights, { blue: 80, green: 20 });
    assert.equal(churn?.variants[1]?.modelVersion, '2');
    assert.equal(await h.admin.getEndpoint('other'), undefined);
  });

  it('changes an endpoint only at the expected revision (409 otherwise)', async () => {
    const current = await h.admin.getEndpoint('churn');
    assert.ok(current);
    const next = await h.admin.setWeights('churn', { blue: 70, green: 30 }, current.revision);
    assert.equal(next.revision, current.revision + 1);
    await assert.rejects(
      h.admin.setWeights('churn', { blue: 10, green: 90 }, current.revision),
      (err: GatewayAdminError) => err.status === 409 && /revision/.test(err.message),
    );
    await assert.rejects(
      h.admin.putEndpoint('churn', {
        variants: [{ name: 'blue', upstream: h.blue.url, modelName: 'churn' }],
        weights: { blue: 100 },
        expectedRevision: current.revision,
      }),
      (err: GatewayAdminError) => err.status === 409,
    );
    assert.deepEqual((await h.admin.getEndpoint('churn'))?.weights, { blue: 70, green: 30 });
    const created = await h.admin.putEndpoint('fresh', {
      variants: [{ name: 'a', upstream: h.blue.url, modelName: 'm' }],
      weights: { a: 100 },
      expectedRevision: 0,
    });
    assert.equal(created.revision, 1);
    assert.equal(await h.admin.deleteEndpoint('fresh'), true);
    assert.equal(await h.admin.deleteEndpoint('fresh'), false);
    await h.admin.setWeights('churn', { blue: 80, green: 20 });
  });

  it('reports per-variant requests, latency percentiles and predictions over a window', async () => {
    // weighted traffic (pinned requests stay out of these figures)
    for (const variant of ['blue', 'green']) {
      await h.admin.setWeights('churn', { blue: variant === 'blue' ? 100 : 0, green: variant === 'green' ? 100 : 0 });
      for (let i = 0; i < 5; i++) await (await h.infer('churn', inferBody(2))).arrayBuffer();
    }
    await h.admin.setWeights('churn', { blue: 80, green: 20 });
    const m = await h.admin.metrics('churn', 60);
    assert.equal(m.window, 60);
    const greenMetrics = m.variants.green;
    assert.ok(greenMetrics && greenMetrics.requests >= 5);
    assert.ok(greenMetrics.latencyMs.p50 > 0 && greenMetrics.latencyMs.p95 >= greenMetrics.latencyMs.p50);
    assert.ok(greenMetrics.predictions.length >= 10 && greenMetrics.predictions.every((p) => p === 0.75));
    assert.ok(m.variants.blue?.predictions.every((p) => p === 0.25));
  });

  it('injects faults: the variant fails its share of requests and its errorRate rises', async () => {
    await h.admin.putEndpoint('drill', {
      variants: [{ name: 'canary', upstream: h.green.url, modelName: 'm' }],
      weights: { canary: 100 },
      capture: { sampleRate: 0 },
    });
    const state = await h.admin.setFault('drill', 'canary', { errorRate: 0.5, latencyMs: 20 });
    assert.deepEqual(state.faults, { canary: { errorRate: 0.5, latencyMs: 20 } });
    const codes: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await h.infer('drill', inferBody());
      await res.arrayBuffer();
      codes.push(res.status);
    }
    assert.ok(codes.every((c) => c === 200 || c === 500));
    const m = await h.admin.metrics('drill', 60);
    const canary = m.variants.canary;
    assert.ok(canary && canary.errorRate > 0.25 && canary.errorRate < 0.75, JSON.stringify(canary));
    assert.ok(canary.latencyMs.p50 >= 20, JSON.stringify(canary.latencyMs));
    const cleared = await h.admin.setFault('drill', 'canary', {});
    assert.deepEqual(cleared.faults, {});
    await h.admin.deleteEndpoint('drill');
  });

  it('keeps every change in the store, where every replica reads it', async () => {
    const saved = JSON.parse((await h.store.getBytes('gateway/state.json')).toString('utf8')) as {
      endpoints: { name: string; weights: object }[];
    };
    assert.deepEqual(saved.endpoints.find((e) => e.name === 'churn')?.weights, { blue: 80, green: 20 });
    // no local state file: a second replica on another host would not see one
    assert.equal(fs.existsSync(h.stateFile), false);
  });
});
