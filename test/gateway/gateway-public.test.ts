import assert from 'node:assert/strict';
import net from 'node:net';
import { startFakeUpstream } from '../support/fake-upstream';
import { inferBody, pinned, startHarness, type Harness } from './harness';

describe('inference gateway: public API', function () {
  this.timeout(60_000);

  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('answers the OIP v2 health probes', async () => {
    const live = await fetch(`${h.gateway.url}/v2/health/live`);
    assert.equal(live.status, 200);
    const ready = await fetch(`${h.gateway.url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, endpoints: 'current' });
  });

  it('forwards a request to a variant and answers with its output, variant and request id', async () => {
    const res = await h.infer('churn', inferBody(3, 'req-1'));
    assert.equal(res.status, 200);
    const variant = res.headers.get('x-mlops-variant');
    assert.ok(variant === 'blue' || variant === 'green');
    // the client's id, signed by the gateway (feedback must name an id it issued)
    assert.match(res.headers.get('x-request-id') ?? '', /^req-1\.[A-Za-z0-9_-]{22}$/);
    const body = (await res.json()) as { id: string; outputs: { data: number[] }[] };
    assert.equal(body.id, 'req-1');
    assert.deepEqual(body.outputs[0]?.data, Array(3).fill(variant === 'blue' ? 0.25 : 0.75));
  });

  it('generates a request id when the request has none and forwards it in the body', async () => {
    const res = await h.infer('churn', inferBody(), pinned('green'));
    const id = res.headers.get('x-request-id');
    assert.match(id ?? '', /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}$/);
    assert.equal(h.green.received.at(-1)?.body.id, id);
    assert.equal(h.green.received.at(-1)?.model, 'churn');
  });

  it('splits 1000 requests 80/20 between the variants within a few percent', async () => {
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => h.infer('churn', inferBody())));
      for (const res of answers) {
        assert.equal(res.status, 200);
        await res.arrayBuffer();
        const v = res.headers.get('x-mlops-variant') ?? '?';
        counts[v] = (counts[v] ?? 0) + 1;
      }
    }
    assert.ok(Math.abs((counts.blue ?? 0) - 800) <= 50, JSON.stringify(counts));
    assert.ok(Math.abs((counts.green ?? 0) - 200) <= 50, JSON.stringify(counts));
  });

  it('sends every request to the variant the x-mlops-variant header names with a credential, even at weight 0', async () => {
    await h.admin.setWeights('churn', { blue: 100, green: 0 });
    try {
      const feedbackToken = await h.admin.feedbackToken('churn');
      for (let i = 0; i < 10; i++) {
        const res = await h.infer('churn', inferBody(), pinned('green', i % 2 === 0 ? feedbackToken : undefined));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-mlops-variant'), 'green');
      }
      const unknown = await h.infer('churn', inferBody(), pinned('purple'));
      assert.equal(unknown.status, 404);
      assert.match(((await unknown.json()) as { error: string }).error, /purple/);
    } finally {
      await h.admin.setWeights('churn', { blue: 80, green: 20 });
    }
  });

  it('survives random garbage on the public and admin ports', async () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const shapes = [
      () => JSON.stringify({ inputs: [{ name: 'x', shape: [rand() * 5], datatype: 'FP32', data: [rand()] }] }),
      () => JSON.stringify({ inputs: [{ name: 7, shape: 'a', datatype: null, data: {} }] }),
      () => JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'BYTES', data: [[['a']], 'b'] }] }),
      () => JSON.stringify([1, 2, 3]),
      () => JSON.stringify({ inputs: [{ name: 'x', shape: [1e12, 1e12], datatype: 'FP32', data: [] }] }),
      () => '['.repeat(5000),
      () => Buffer.from(Array.from({ length: 200 }, () => Math.floor(rand() * 256))).toString('latin1'),
      () => 'null',
    ];
    for (let i = 0; i < 200; i++) {
      const body = shapes[Math.floor(rand() * shapes.length)]?.() ?? '';
      const res = await h.infer(rand() < 0.8 ? 'churn' : '%E0%A4%A', body);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${body.slice(0, 60)}`);
      await res.arrayBuffer();
    }
    // raw bytes that are not HTTP at all
    for (const port of [h.gateway.port, h.gateway.adminPort]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end('GARBAGE \0\0\r\n\r\n'));
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
        socket.resume();
      });
    }
    const res = await h.infer('churn', inferBody());
    assert.equal(res.status, 200);
  });

  it('answers 502 when a variant is down and counts it as an error', async () => {
    const dead = await startFakeUpstream(0);
    const deadUrl = dead.url;
    await dead.close();
    await h.admin.putEndpoint('broken', {
      variants: [{ name: 'a', upstream: deadUrl, modelName: 'm' }],
      weights: { a: 100 },
    });
    const res = await h.infer('broken', inferBody());
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-mlops-variant'), 'a');
    assert.match(((await res.json()) as { error: string }).error, /unreachable/);
    const m = await h.admin.metrics('broken', 60);
    assert.equal(m.variants.a?.requests, 1);
    assert.equal(m.variants.a?.errors, 1);
    assert.equal(m.variants.a?.errorRate, 1);
    await h.admin.deleteEndpoint('broken');
  });

  it('answers 502 for an upstream 5xx and 504 for an upstream slower than the timeout', async () => {
    h.blue.failWith = 500;
    try {
      const res = await h.infer('churn', inferBody(), pinned('blue'));
      assert.equal(res.status, 502);
      const error = ((await res.json()) as { error: string }).error;
      assert.match(error, /answered 500/);
      // neither the upstream's address nor its text reaches the client
      assert.ok(!error.includes(h.blue.url) && !error.includes('told to fail'), error);
    } finally {
      h.blue.failWith = undefined;
    }
    h.blue.delayMs = 1500;
    try {
      const res = await h.infer('churn', inferBody(), pinned('blue'));
      assert.equal(res.status, 504);
      await res.arrayBuffer();
    } finally {
      h.blue.delayMs = 0;
    }
  });

  it('serves Prometheus counters and the latency histogram on /metrics', async () => {
    const res = await fetch(`${h.gateway.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^mlops_gateway_requests_total\{endpoint="churn",variant="blue",code="200"\} \d+$/m);
    // the pinned 502 above is counted apart from the endpoint's traffic
    assert.match(text, /^mlops_gateway_pinned_requests_total\{endpoint="churn",variant="blue",code="502"\} 1$/m);
    assert.doesNotMatch(text, /^mlops_gateway_requests_total\{endpoint="churn",variant="blue",code="502"\}/m);
    assert.match(
      text,
      /^mlops_gateway_request_duration_seconds_bucket\{endpoint="churn",variant="green",le="\+Inf"\} \d+$/m,
    );
    assert.match(text, /^mlops_gateway_request_duration_seconds_count\{endpoint="churn",variant="green"\} \d+$/m);
    assert.match(text, /^# TYPE mlops_gateway_capture_dropped_total counter$/m);
    assert.match(text, /^mlops_gateway_variant_weight\{endpoint="churn",variant="blue"\} 80$/m);
  });
});
