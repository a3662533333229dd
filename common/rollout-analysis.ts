/**
 * Canary analysis, the pure part: given one analysis window's metrics of the candidate variant
 * (and of the baseline it replaces), a verdict — `pass`, `fail` or `inconclusive` (too few
 * requests) — with every check and its numbers. The prediction PSI it judges is computed by the
 * rollout activity (activities/monitoring/psi.ts).
 */

export interface VariantWindow {
  requests: number;
  errorRate: number;
  latencyMs: { p50: number; p95: number };
}

export interface AnalysisThresholds {
  /** Absolute error rate limit (0..1). */
  maxErrorRate: number;
  /** Error rate may exceed the baseline's by at most this many percentage points, as a fraction (0.02 = 2 points). */
  maxErrorRateIncrease?: number;
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
  if (t.maxErrorRateIncrease !== undefined && baseline && baseline.requests > 0) {
    const allowed = baseline.errorRate + t.maxErrorRateIncrease;
    checks.push(
      limit(
        'errorRateIncrease',
        candidate.errorRate,
        allowed,
        (a) =>
          `error rate ${pct(a)} vs baseline ${pct(baseline.errorRate)}: ${a <= allowed ? 'within' : 'more than'} +${points(t.maxErrorRateIncrease!)}`,
      ),
    );
  }
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

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a';
}

/** A difference of two rates, in percentage points. */
function points(x: number): string {
  return `${(x * 100).toFixed(2)} points`;
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a';
}
