/**
 * Canary analysis, the pure part: given one analysis window's metrics of the candidate variant
 * (and of the baseline it replaces), a verdict — `pass`, `fail` or `inconclusive` (too few
 * requests) — with every check and its numbers. Also the population stability index (PSI) used
 * for the prediction-distribution check.
 */

export interface VariantWindow {
  requests: number;
  errorRate: number;
  latencyMs: { p50: number; p95: number };
}

export interface AnalysisThresholds {
  /** Absolute error rate limit (0..1). */
  maxErrorRate: number;
  /** Absolute p95 latency limit (ms). */
  maxLatencyP95Ms?: number;
  /** p95 latency may exceed the baseline's by at most this fraction (0.2 = 20%). */
  maxLatencyIncrease?: number;
  /** PSI of the candidate's predictions against the baseline's. */
  maxPredictionPsi?: number;
  /** Requests the candidate needs in the window before it is judged. */
  minRequests: number;
}

export interface AnalysisCheck {
  check: string;
  passed: boolean;
  message: string;
  actual?: number;
  limit?: number;
}

export interface AnalysisVerdict {
  verdict: 'pass' | 'fail' | 'inconclusive';
  checks: AnalysisCheck[];
}

export interface AnalysisInput {
  candidate: VariantWindow;
  baseline?: VariantWindow;
  /** PSI of candidate vs baseline predictions, when both had enough to compare. */
  predictionPsi?: number;
  thresholds: AnalysisThresholds;
}

/** The verdict of one analysis window. */
export function analyzeWindow(input: AnalysisInput): AnalysisVerdict {
  const { candidate, baseline, thresholds: t } = input;
  if (candidate.requests < t.minRequests) {
    return {
      verdict: 'inconclusive',
      checks: [
        {
          check: 'minRequests',
          passed: false,
          message: `${candidate.requests} requests < ${t.minRequests} needed to judge`,
          actual: candidate.requests,
          limit: t.minRequests,
        },
      ],
    };
  }
  const checks: AnalysisCheck[] = [];
  checks.push(
    limit(
      'errorRate',
      candidate.errorRate,
      t.maxErrorRate,
      (a, l) => `error rate ${pct(a)} ${a <= l ? '≤' : '>'} ${pct(l)}`,
    ),
  );
  if (t.maxLatencyP95Ms !== undefined)
    checks.push(
      limit(
        'latencyP95',
        candidate.latencyMs.p95,
        t.maxLatencyP95Ms,
        (a, l) => `p95 ${ms(a)} ${a <= l ? '≤' : '>'} ${ms(l)}`,
      ),
    );
  if (t.maxLatencyIncrease !== undefined && baseline && baseline.requests > 0) {
    const allowed = baseline.latencyMs.p95 * (1 + t.maxLatencyIncrease);
    checks.push(
      limit(
        'latencyIncrease',
        candidate.latencyMs.p95,
        allowed,
        (a) =>
          `p95 ${ms(a)} vs baseline ${ms(baseline.latencyMs.p95)}: ${a <= allowed ? 'within' : 'more than'} +${pct(t.maxLatencyIncrease!)}`,
      ),
    );
  }
  if (t.maxPredictionPsi !== undefined && input.predictionPsi !== undefined)
    checks.push(
      limit(
        'predictionPsi',
        input.predictionPsi,
        t.maxPredictionPsi,
        (a, l) => `prediction PSI ${a.toFixed(3)} ${a <= l ? '≤' : '>'} ${l}`,
      ),
    );
  return { verdict: checks.every((c) => c.passed) ? 'pass' : 'fail', checks };
}

function limit(check: string, actual: number, max: number, message: (a: number, l: number) => string): AnalysisCheck {
  // a window with no data (NaN) never passes a limit
  const passed = Number.isFinite(actual) && actual <= max + 1e-12;
  return { check, passed, message: message(actual, max), actual, limit: max };
}

/**
 * Population stability index of `actual` against `expected`: bins at the quantiles of `expected`
 * (at most `bins`; ties merge bins), each bin's share floored at `epsilon` so empty bins stay finite:
 * Σ (a − e) · ln(a / e). Undefined when either sample is empty.
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
  bins = 10,
  epsilon = 1e-4,
): number | undefined {
  const e = expected.filter(Number.isFinite).sort((x, y) => x - y);
  const a = actual.filter(Number.isFinite);
  if (e.length === 0 || a.length === 0) return undefined;
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = e[Math.min(e.length - 1, Math.floor((i * e.length) / bins))]!;
    if (edges.length === 0 || q > edges.at(-1)!) edges.push(q);
  }
  const share = (values: readonly number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of values) {
      let lo = 0;
      let hi = edges.length;
      // first edge greater than v: bins are [edge_{i-1}, edge_i)
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v < edges[mid]!) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]! += 1;
    }
    return counts.map((c) => Math.max(c / values.length, epsilon));
  };
  const pe = share(e);
  const pa = share(a);
  let psi = 0;
  for (let i = 0; i < pe.length; i++) psi += (pa[i]! - pe[i]!) * Math.log(pa[i]! / pe[i]!);
  return psi;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a';
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a';
}
