import assert from 'node:assert/strict';
import { populationStabilityIndex } from '../../activities/monitoring';
import { analyzeWindow } from '../../common/rollout-analysis';

const thresholds = {
  maxErrorRate: 0.01,
  maxLatencyP95Ms: 200,
  maxLatencyIncrease: 0.5,
  maxPredictionPsi: 0.2,
  minRequests: 50,
};
const healthy = { requests: 500, errorRate: 0.002, latencyMs: { p50: 5, p95: 20 } };

describe('canary analysis', () => {
  it('passes a healthy candidate, listing every check with its numbers', () => {
    const v = analyzeWindow({ candidate: healthy, baseline: healthy, predictionPsi: 0.01, thresholds });
    assert.equal(v.verdict, 'pass');
    assert.deepEqual(
      v.checks.map((c) => c.check),
      ['errorRate', 'latencyP95', 'latencyIncrease', 'predictionPsi'],
    );
    assert.match(v.checks[0]!.message, /error rate 0\.20% ≤ 1\.00%/);
  });

  it('fails on errors, absolute or relative latency, and prediction shift', () => {
    const errors = analyzeWindow({ candidate: { ...healthy, errorRate: 0.3 }, baseline: healthy, thresholds });
    assert.equal(errors.verdict, 'fail');
    assert.equal(errors.checks.find((c) => !c.passed)?.check, 'errorRate');
    const slow = analyzeWindow({
      candidate: { ...healthy, latencyMs: { p50: 30, p95: 40 } },
      baseline: healthy,
      thresholds,
    });
    assert.deepEqual(
      slow.checks.filter((c) => !c.passed).map((c) => c.check),
      ['latencyIncrease'],
    );
    assert.match(slow.checks.find((c) => !c.passed)!.message, /p95 40\.0 ms vs baseline 20\.0 ms: more than \+50\.00%/);
    const shifted = analyzeWindow({ candidate: healthy, baseline: healthy, predictionPsi: 0.8, thresholds });
    assert.equal(shifted.verdict, 'fail');
  });

  it('judges the error rate relative to the baseline in percentage points (maxErrorRateIncrease)', () => {
    const relative = { ...thresholds, maxErrorRate: 1, maxErrorRateIncrease: 0.02 };
    const noisyBaseline = { ...healthy, errorRate: 0.05 };
    // 6% against a baseline's 5%: within +2 points, though over an absolute 1% it would fail
    const within = analyzeWindow({
      candidate: { ...healthy, errorRate: 0.06 },
      baseline: noisyBaseline,
      thresholds: relative,
    });
    assert.equal(within.verdict, 'pass');
    const check = within.checks.find((c) => c.check === 'errorRateIncrease')!;
    assert.deepEqual([check.actual, check.limit], [0.06, 0.07]);
    assert.match(check.message, /error rate 6\.00% vs baseline 5\.00%: within \+2\.00 points/);
    // exactly at the limit passes (no floating-point surprise at 0.05 + 0.02)
    assert.equal(
      analyzeWindow({ candidate: { ...healthy, errorRate: 0.07 }, baseline: noisyBaseline, thresholds: relative })
        .verdict,
      'pass',
    );
    const over = analyzeWindow({
      candidate: { ...healthy, errorRate: 0.08 },
      baseline: noisyBaseline,
      thresholds: relative,
    });
    assert.deepEqual(
      over.checks.filter((c) => !c.passed).map((c) => c.check),
      ['errorRateIncrease'],
    );
    assert.match(over.checks.find((c) => !c.passed)!.message, /8\.00% vs baseline 5\.00%: more than \+2\.00 points/);
    // no baseline traffic (or none at all): only the absolute limit applies
    const alone = analyzeWindow({ candidate: { ...healthy, errorRate: 0.08 }, thresholds: relative });
    assert.equal(alone.verdict, 'pass');
    assert.ok(!alone.checks.some((c) => c.check === 'errorRateIncrease'));
    const idle = analyzeWindow({
      candidate: { ...healthy, errorRate: 0.08 },
      baseline: { ...noisyBaseline, requests: 0 },
      thresholds: relative,
    });
    assert.ok(!idle.checks.some((c) => c.check === 'errorRateIncrease'));
    // both limits apply when both are set
    const both = analyzeWindow({
      candidate: { ...healthy, errorRate: 0.03 },
      baseline: healthy,
      thresholds: { ...thresholds, maxErrorRateIncrease: 0.02 },
    });
    assert.deepEqual(
      both.checks.filter((c) => !c.passed).map((c) => c.check),
      ['errorRate', 'errorRateIncrease'],
    );
  });

  it('is inconclusive with too few requests, and never passes a window without data', () => {
    assert.equal(analyzeWindow({ candidate: { ...healthy, requests: 10 }, thresholds }).verdict, 'inconclusive');
    const nan = analyzeWindow({ candidate: { ...healthy, errorRate: Number.NaN }, thresholds });
    assert.equal(nan.verdict, 'fail');
  });
});

describe('population stability index', () => {
  const uniform = (n: number, from = 0, to = 1) =>
    Array.from({ length: n }, (_, i) => from + ((i + 0.5) / n) * (to - from));

  it('is about zero for the same distribution and grows with the shift', () => {
    const base = uniform(2000);
    assert.ok(populationStabilityIndex(base, uniform(1000)) < 0.01);
    const small = populationStabilityIndex(base, uniform(1000, 0.05, 1.05));
    const large = populationStabilityIndex(base, uniform(1000, 0.5, 1.5));
    assert.ok(small > 0 && small < 0.2, String(small));
    assert.ok(large > 1, String(large));
  });

  it('matches a hand computation on two bins, with the epsilon floor for an empty bin', () => {
    // edges at the median of [1,2,3,4] (= 3): expected shares 0.5/0.5; actual all below → 1 / 1e-4
    const psi = populationStabilityIndex([1, 2, 3, 4], [1, 1, 2, 2], { bins: 2 });
    const expected = (1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5);
    assert.ok(Math.abs(psi - expected) < 1e-12, `${psi} vs ${expected}`);
    assert.equal(populationStabilityIndex([], [1]), 0);
  });
});
