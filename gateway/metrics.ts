/**
 * The gateway's numbers: Prometheus counters and a latency histogram for `/metrics`, and, per
 * variant, fixed-size ring buffers of recent requests and predictions that the admin API reads
 * over a time window (what a rollout's analysis asks for). Memory is bounded by construction.
 */
import type { EndpointMetrics } from '../common/schemas/gateway-api';
import { rank, type ReplicaVariantMetrics } from '../activities/serving/gateway-replicas';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const COUNTER_HELP: Record<string, string> = {
  mlops_gateway_capture_dropped_total: 'Capture and feedback records dropped because the store fell behind or failed.',
  mlops_gateway_capture_records_total: 'Capture and feedback records written to the store.',
  mlops_gateway_capture_write_errors_total: 'Batches that could not be written to the store after retries.',
  mlops_gateway_feedback_total: 'Feedback labels accepted.',
  mlops_gateway_feedback_refused_total:
    'Feedback labels refused: no or a wrong token, or a request id the gateway did not issue.',
  mlops_gateway_pinned_requests_total:
    'Requests pinned to a variant with x-mlops-variant (kept out of requests_total and the windowed figures).',
  mlops_gateway_connections_refused_total:
    'Connections closed on arrival because the public server held maxConnections.',
  mlops_gateway_rate_limited_total: 'Requests answered 429 by the per-client rate limit.',
  mlops_gateway_upstream_errors_total: 'Upstream failures (unreachable, timeout, 5xx), by endpoint and variant.',
};
/** Requests remembered per variant for windowed figures. */
const REQUEST_RING = 100_000;
/** Prediction values remembered per variant (the admin API returns at most this many). */
const PREDICTION_RING = 2000;

/** One finished request as the metrics see it. */
export interface RequestOutcome {
  endpoint: string;
  /** '' when no variant was chosen (bad request, unknown endpoint). */
  variant: string;
  code: number;
  seconds: number;
  /** Whether it counts as an error in windowed figures (5xx). */
  error: boolean;
  predictions?: number[];
  /**
   * Pinned to its variant with `x-mlops-variant`: counted in `mlops_gateway_pinned_requests_total`
   * only, never in the windows a rollout's analysis and the A/B figures read.
   */
  pinned?: boolean;
}

export class GatewayMetrics {
  private readonly requests = new Map<string, number>();
  private readonly histograms = new Map<string, { counts: number[]; sum: number; count: number }>();
  private readonly counters = new Map<string, number>();
  private readonly windows = new Map<string, VariantWindow>();

  /** Records a request in the counters, the histogram and (with a variant) its window. */
  observe(o: RequestOutcome, now = Date.now()): void {
    if (o.pinned) {
      this.count('mlops_gateway_pinned_requests_total', {
        endpoint: o.endpoint,
        variant: o.variant,
        code: String(o.code),
      });
      return;
    }
    const labels = `endpoint="${esc(o.endpoint)}",variant="${esc(o.variant)}"`;
    bump(this.requests, `${labels},code="${o.code}"`);
    let h = this.histograms.get(labels);
    if (!h) this.histograms.set(labels, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (const [i, bound] of BUCKETS.entries()) if (o.seconds <= bound) h.counts[i] = (h.counts[i] ?? 0) + 1;
    h.sum += o.seconds;
    h.count += 1;
    if (o.variant === '') return;
    const key = windowKey(o.endpoint, o.variant);
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new VariantWindow()));
    w.add(now, o.seconds * 1000, o.error, o.predictions ?? []);
  }

  /** Adds `by` to a plain counter, e.g. `mlops_gateway_capture_dropped_total{endpoint="x"}`. */
  count(name: string, labels: Record<string, string>, by = 1): void {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${esc(v)}"`)
      .join(',');
    bump(this.counters, `${name}{${text}}`, by);
  }

  /** Forgets the windows of an endpoint (deleted) or of its variants not in `keep`. */
  forget(endpoint: string, keep: string[] = []): void {
    for (const key of this.windows.keys()) {
      const [e, v] = JSON.parse(key) as [string, string];
      if (e === endpoint && !keep.includes(v)) this.windows.delete(key);
    }
  }

  /**
   * Windowed figures of each of `variants` over the last `windowSeconds`; with `samples`, each
   * variant also carries its latencies (`latencySamplesMs`), what merging replicas needs.
   */
  endpointMetrics(
    endpoint: string,
    variants: string[],
    windowSeconds: number,
    now = Date.now(),
    samples = false,
  ): EndpointMetrics {
    const out: Record<string, ReplicaVariantMetrics> = {};
    for (const v of variants) {
      const w = this.windows.get(windowKey(endpoint, v));
      out[v] = w ? w.summary(now - windowSeconds * 1000, samples) : emptyMetrics(samples);
    }
    return { window: windowSeconds, variants: out };
  }

  /** Prometheus text exposition; `gauges` are appended as given (e.g. current weights). */
  prometheus(gauges: string[] = []): string {
    const lines: string[] = [];
    lines.push('# HELP mlops_gateway_requests_total Inference requests by endpoint, variant and status code.');
    lines.push('# TYPE mlops_gateway_requests_total counter');
    for (const [labels, n] of this.requests) lines.push(`mlops_gateway_requests_total{${labels}} ${n}`);
    lines.push('# HELP mlops_gateway_request_duration_seconds Time from request received to response sent.');
    lines.push('# TYPE mlops_gateway_request_duration_seconds histogram');
    for (const [labels, h] of this.histograms) {
      const name = 'mlops_gateway_request_duration_seconds';
      for (const [i, bound] of BUCKETS.entries()) lines.push(`${name}_bucket{${labels},le="${bound}"} ${h.counts[i]}`);
      lines.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`);
      lines.push(`${name}_sum{${labels}} ${h.sum}`);
      lines.push(`${name}_count{${labels}} ${h.count}`);
    }
    const byName = new Map<string, string[]>();
    for (const [series, n] of this.counters) {
      const name = series.slice(0, series.indexOf('{'));
      byName.set(name, [...(byName.get(name) ?? []), `${series} ${n}`]);
    }
    for (const name of ['mlops_gateway_capture_dropped_total', ...byName.keys()]) {
      if (lines.some((l) => l === `# TYPE ${name} counter`)) continue;
      const help = COUNTER_HELP[name];
      if (help) lines.push(`# HELP ${name} ${help}`);
      lines.push(`# TYPE ${name} counter`);
      const series = byName.get(name);
      if (series) lines.push(...series);
      else lines.push(`${name} 0`);
    }
    lines.push(...gauges);
    return lines.join('\n') + '\n';
  }
}

/** Ring buffers of one variant: request times, latencies and error flags; prediction values. */
class VariantWindow {
  private readonly times = new Float64Array(REQUEST_RING);
  private readonly latencies = new Float32Array(REQUEST_RING);
  private readonly errors = new Uint8Array(REQUEST_RING);
  private next = 0;
  private size = 0;
  private readonly predTimes = new Float64Array(PREDICTION_RING);
  private readonly predValues = new Float64Array(PREDICTION_RING);
  private predNext = 0;
  private predSize = 0;

  add(time: number, latencyMs: number, error: boolean, predictions: number[]): void {
    this.times[this.next] = time;
    this.latencies[this.next] = latencyMs;
    this.errors[this.next] = error ? 1 : 0;
    this.next = (this.next + 1) % REQUEST_RING;
    this.size = Math.min(this.size + 1, REQUEST_RING);
    for (const value of predictions.slice(-PREDICTION_RING)) {
      this.predTimes[this.predNext] = time;
      this.predValues[this.predNext] = value;
      this.predNext = (this.predNext + 1) % PREDICTION_RING;
      this.predSize = Math.min(this.predSize + 1, PREDICTION_RING);
    }
  }

  summary(since: number, samples: boolean): ReplicaVariantMetrics {
    const latencies: number[] = [];
    let errors = 0;
    // newest first, stopping at the first entry older than the window
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + REQUEST_RING) % REQUEST_RING;
      if ((this.times[i] ?? 0) < since) break;
      latencies.push(this.latencies[i] ?? 0);
      errors += this.errors[i] ?? 0;
    }
    const predictions: number[] = [];
    for (let k = 1; k <= this.predSize; k++) {
      const i = (this.predNext - k + PREDICTION_RING) % PREDICTION_RING;
      if ((this.predTimes[i] ?? 0) < since) break;
      predictions.push(this.predValues[i] ?? 0);
    }
    predictions.reverse();
    latencies.sort((a, b) => a - b);
    const requests = latencies.length;
    return {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      latencyMs: { p50: rank(latencies, 0.5), p95: rank(latencies, 0.95), p99: rank(latencies, 0.99) },
      predictions,
      ...(samples ? { latencySamplesMs: latencies.map((l) => Math.round(l * 100) / 100) } : {}),
    };
  }
}

function emptyMetrics(samples: boolean): ReplicaVariantMetrics {
  return {
    requests: 0,
    errors: 0,
    errorRate: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0 },
    predictions: [],
    ...(samples ? { latencySamplesMs: [] } : {}),
  };
}

function windowKey(endpoint: string, variant: string): string {
  return JSON.stringify([endpoint, variant]);
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Escapes a Prometheus label value. */
export function esc(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
