/**
 * The gateway's replicas as the store lists them, and their metrics summed. Every running gateway
 * writes `gateway/replicas/<id>.json` (its id, the admin URL others reach it at, when it was last
 * seen) every few seconds and deletes it on a clean stop; a record not refreshed for
 * `REPLICA_TTL_MS` is a dead replica and is skipped.
 *
 * Each replica counts only the requests it served, so a rollout's analysis reads every live
 * replica's window (`samples=1`: with the latencies themselves) and merges them here: counts and
 * errors summed, the error rate of the sums, percentiles over the union of the latencies (not an
 * average of percentiles), the prediction samples pooled.
 */
import type { EndpointMetrics, VariantMetrics } from '../../common/schemas/gateway-api';
import { readJson } from '../storage/json';
import type { BlobStore } from '../storage/types';

/** Where the replicas' records live in the store. */
export const REPLICAS_PREFIX = 'gateway/replicas/';
/** How often a replica refreshes its record. */
export const REPLICA_HEARTBEAT_MS = 2_000;
/** A record older than this is a dead replica's. */
export const REPLICA_TTL_MS = 10_000;

/** One gateway replica's record in the store. */
export interface ReplicaRecord {
  id: string;
  /** Where its admin API answers, e.g. `http://10.0.3.7:8181` (`--advertise-url`). */
  adminUrl: string;
  startedAt: string;
  /** ISO time of its last heartbeat. */
  lastSeen: string;
}

/** A variant's window as one replica answers it with `samples=1`: the figures and the latencies behind them. */
export type ReplicaVariantMetrics = VariantMetrics & { latencySamplesMs?: number[] };

export function replicaKey(id: string): string {
  return `${REPLICAS_PREFIX}${id}.json`;
}

/**
 * The replicas seen within `ttlMs`, oldest first; of records naming one admin URL (a replica
 * killed and started again at the same address) only the one seen last, so none is read twice.
 */
export async function liveReplicas(
  store: BlobStore,
  ttlMs = REPLICA_TTL_MS,
  now = Date.now(),
): Promise<ReplicaRecord[]> {
  const byUrl = new Map<string, ReplicaRecord>();
  for await (const info of store.list(REPLICAS_PREFIX)) {
    if (!info.key.endsWith('.json')) continue;
    const record = await readJson<ReplicaRecord>(store, info.key).catch(() => undefined);
    if (!record || typeof record.adminUrl !== 'string' || typeof record.lastSeen !== 'string') continue;
    const seen = Date.parse(record.lastSeen);
    if (!Number.isFinite(seen) || now - seen > ttlMs) continue;
    const other = byUrl.get(record.adminUrl);
    if (!other || Date.parse(other.lastSeen) < seen) byUrl.set(record.adminUrl, record);
  }
  return [...byUrl.values()].sort((x, y) => x.startedAt.localeCompare(y.startedAt) || x.id.localeCompare(y.id));
}

/** Sums per-variant windows read from several replicas (see the file comment). */
export function mergeReplicaMetrics(
  window: number,
  parts: { variants: Record<string, ReplicaVariantMetrics> }[],
): EndpointMetrics {
  const names = [...new Set(parts.flatMap((p) => Object.keys(p.variants)))];
  const variants: Record<string, VariantMetrics> = {};
  for (const name of names) {
    const each = parts.map((p) => p.variants[name]).filter((v): v is ReplicaVariantMetrics => v !== undefined);
    const requests = each.reduce((n, v) => n + v.requests, 0);
    const errors = each.reduce((n, v) => n + v.errors, 0);
    const latencies = each.flatMap((v) => v.latencySamplesMs ?? []).sort((a, b) => a - b);
    variants[name] = {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      latencyMs:
        latencies.length > 0
          ? { p50: rank(latencies, 0.5), p95: rank(latencies, 0.95), p99: rank(latencies, 0.99) }
          : // replicas too old to send samples: the busiest one's figures
            (each.slice().sort((a, b) => b.requests - a.requests)[0]?.latencyMs ?? { p50: 0, p95: 0, p99: 0 }),
      predictions: each.flatMap((v) => v.predictions),
    };
  }
  return { window, variants };
}

/** Nearest-rank percentile of sorted values (0 when empty), rounded to 0.01 ms. */
export function rank(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return Math.round(value * 100) / 100;
}
