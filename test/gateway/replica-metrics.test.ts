/**
 * Reading the gateway's replicas: which records count as live, and how their windows are summed —
 * counts and errors added, the error rate of the sums, percentiles over the union of the latencies
 * (an average of two replicas' p95 would hide the slow one), predictions pooled.
 */
import assert from 'node:assert/strict';
import {
  liveReplicas,
  mergeReplicaMetrics,
  replicaKey,
  type ReplicaRecord,
  type ReplicaVariantMetrics,
} from '../../activities/serving/gateway-replicas';
import { FilesystemBlobStore } from '../../activities/storage';
import { adminHostProblem } from '../../gateway';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function part(latencies: number[], errors: number, predictions: number[]): ReplicaVariantMetrics {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    errorRate: errors / latencies.length,
    latencyMs: { p50: sorted[Math.floor(sorted.length / 2)] ?? 0, p95: sorted.at(-1) ?? 0, p99: sorted.at(-1) ?? 0 },
    predictions,
    latencySamplesMs: latencies,
  };
}

describe('inference gateway: reading the replicas', () => {
  it('sums counts and errors and takes percentiles over the union of the latencies', () => {
    // a fast replica with 90 requests, a slow one with 10 of which 5 failed
    const fast = part(
      Array.from({ length: 90 }, () => 2),
      0,
      [0.1, 0.2],
    );
    const slow = part(
      Array.from({ length: 10 }, () => 200),
      5,
      [0.9],
    );
    const merged = mergeReplicaMetrics(60, [
      { variants: { v1: fast } },
      { variants: { v1: slow, v2: part([5], 0, []) } },
    ]);
    const v1 = merged.variants.v1;
    assert.ok(v1);
    assert.equal(merged.window, 60);
    assert.equal(v1.requests, 100);
    assert.equal(v1.errors, 5);
    assert.equal(v1.errorRate, 0.05);
    assert.equal(v1.latencyMs.p50, 2);
    // 95th of 100: the slow replica's, where averaging the two p95s would have said 101
    assert.equal(v1.latencyMs.p95, 200);
    assert.deepEqual(v1.predictions.sort(), [0.1, 0.2, 0.9]);
    assert.equal(merged.variants.v2?.requests, 1);
    assert.equal('latencySamplesMs' in v1, false);
  });

  it('reports no errors and zero latencies for a variant without requests', () => {
    const merged = mergeReplicaMetrics(30, [{ variants: { v1: part([], 0, []) } }]);
    assert.deepEqual(merged.variants.v1, {
      requests: 0,
      errors: 0,
      errorRate: 0,
      latencyMs: { p50: 0, p95: 0, p99: 0 },
      predictions: [],
    });
  });

  it('lists the replicas seen recently and skips dead and unreadable records', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-replicas-'));
    const store = new FilesystemBlobStore(root);
    const now = Date.parse('2026-01-01T00:00:30Z');
    const record = (id: string, lastSeen: string): ReplicaRecord => ({
      id,
      adminUrl: `http://${id}:8181`,
      startedAt: '2026-01-01T00:00:00Z',
      lastSeen,
    });
    await store.put(replicaKey('a'), JSON.stringify(record('a', '2026-01-01T00:00:29Z')));
    await store.put(replicaKey('b'), JSON.stringify(record('b', '2026-01-01T00:00:25Z')));
    await store.put(replicaKey('dead'), JSON.stringify(record('dead', '2026-01-01T00:00:05Z')));
    await store.put(replicaKey('broken'), '{ not json');
    // killed and started again at b's address: only the record seen last counts
    await store.put(
      replicaKey('b-before'),
      JSON.stringify({ ...record('b-before', '2026-01-01T00:00:22Z'), adminUrl: 'http://b:8181' }),
    );
    const live = await liveReplicas(store, 10_000, now);
    assert.deepEqual(
      live.map((r) => r.id),
      ['a', 'b'],
    );
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('lets the admin API beyond loopback only over TLS or behind a NetworkPolicy', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1'])
      assert.equal(adminHostProblem(host, false, false), undefined, host);
    for (const host of ['0.0.0.0', '::', '10.0.3.7']) {
      assert.match(adminHostProblem(host, false, false) ?? '', new RegExp(`--admin-host ${host}: .*TLS`));
      assert.equal(adminHostProblem(host, true, false), undefined);
      assert.equal(adminHostProblem(host, false, true), undefined);
    }
  });
});
