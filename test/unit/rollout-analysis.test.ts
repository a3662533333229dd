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
