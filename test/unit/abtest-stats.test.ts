import assert from 'node:assert/strict';
import {
  SequentialAbTest,
  decideAbTest,
  msprt,
  msprtConfidenceInterval,
  normalCdf,
  normalQuantile,
  twoProportionZTest,
  type Proportion,
} from '../../common/abtest-stats';
import { InvalidArgumentError } from '../../common/failures';
import { seededRandom } from '../../common/random';

const close = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected} (±${tolerance})`);

// 200/1000 vs 250/1000, by hand (and R: prop.test(c(250, 200), c(1000, 1000), correct = FALSE)):
// pooled p = 0.225, SE = √(0.225 · 0.775 · 2/1000) = 0.0186748, z = 0.05 / SE = 2.677398,
// two-sided p = 0.0074196 (X-squared = z² = 7.1685); unpooled SE = √(0.16 + 0.1875)/√1000 = 0.0186414,
// 95% CI 0.05 ± 1.959964 · 0.0186414 = [0.013464, 0.086536].
const control = { successes: 200, trials: 1000 };
const treatment = { successes: 250, trials: 1000 };

describe('standard normal distribution', () => {
  it('matches known values of Φ and its inverse to 1e-7 or better', () => {
    close(normalCdf(1.96), 0.975002104852, 1e-11);
    close(normalCdf(-3), 0.001349898032, 1e-11);
    close(normalCdf(0), 0.5, 1e-15);
    close(normalQuantile(0.975), 1.95996398454, 1e-11);
    close(normalQuantile(0.5), 0, 1e-15);
  });

  it('keeps relative precision far in the tails, and round-trips', () => {
    // Φ(−10) = 7.619853024160527e-24 (erfc(10/√2) / 2)
    close(normalCdf(-10) / 7.619853024160527e-24, 1, 1e-12);
    for (const p of [1e-12, 1e-4, 0.025, 0.3, 0.7, 0.999]) close(normalCdf(normalQuantile(p)) / p, 1, 1e-12);
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.equal(normalCdf(-Infinity), 0);
    assert.equal(normalCdf(Infinity), 1);
  });
});

describe('two-proportion z-test', () => {
  it('matches a hand-computed example: 200/1000 vs 250/1000', () => {
    const r = twoProportionZTest(control, treatment);
    close(r.pA, 0.2, 1e-15);
    close(r.pB, 0.25, 1e-15);
    close(r.lift!, 0.25, 1e-12);
    close(r.difference, 0.05, 1e-15);
    close(r.standardError, 0.0186748, 1e-7);
    close(r.z, 2.677398, 1e-6);
    close(r.pValue, 0.0074196, 1e-7);
    close(r.confidenceInterval[0], 0.013464, 1e-6);
    close(r.confidenceInterval[1], 0.086536, 1e-6);
    assert.equal(r.significant, true);
    assert.equal(twoProportionZTest(control, treatment, { alpha: 0.005 }).significant, false);
  });

  it('gives one-sided p-values and bounds', () => {
    const greater = twoProportionZTest(control, treatment, { alternative: 'greater' });
    close(greater.pValue, 0.0037098, 1e-7);
    // lower bound 0.05 − 1.644854 · 0.0186414
    close(greater.confidenceInterval[0], 0.019338, 1e-6);
    assert.equal(greater.confidenceInterval[1], 1);
    const less = twoProportionZTest(control, treatment, { alternative: 'less' });
    close(less.pValue, 1 - 0.0037098, 1e-7);
    assert.equal(less.significant, false);
    assert.equal(less.confidenceInterval[0], -1);
  });

  it('handles all-or-nothing arms without NaN', () => {
    for (const [a, b] of [
      [0, 0],
      [100, 100],
    ] as const) {
      const r = twoProportionZTest({ successes: a, trials: 100 }, { successes: b / 2, trials: 50 });
      assert.equal(r.standardError, 0);
      assert.equal(r.z, 0);
      assert.equal(r.pValue, 1);
      assert.equal(r.significant, false);
      assert.deepEqual(r.confidenceInterval, [0, 0]);
      assert.equal(r.lift, a === 0 ? undefined : 0);
    }
    const apart = twoProportionZTest({ successes: 0, trials: 50 }, { successes: 50, trials: 50 });
    assert.ok(apart.pValue < 1e-20 && apart.significant);
    assert.deepEqual(apart.confidenceInterval, [1, 1]);
    for (const value of Object.values(apart)) if (typeof value === 'number') assert.ok(!Number.isNaN(value));
  });

  it('refuses empty or impossible counts, naming the argument', () => {
    assert.throws(() => twoProportionZTest({ successes: 0, trials: 0 }, treatment), {
      name: 'InvalidArgumentError',
      message: /^a\.trials: must be a positive number, got 0/,
    });
    assert.throws(
      () => twoProportionZTest(control, { successes: 5, trials: 4 }),
      /^InvalidArgumentError: b\.successes/,
    );
    assert.throws(() => twoProportionZTest(control, treatment, { alpha: 1 }), InvalidArgumentError);
  });
});

describe('mixture sequential test (mSPRT)', () => {
  it('matches a hand-computed likelihood ratio', () => {
    // pooled variance v = 0.00034875, τ² = 0.05² = 0.0025:
    // ln Λ = ½ ln(v / (v + τ²)) + 0.05² τ² / (2 v (v + τ²)) = 2.0953003, Λ = 8.127882, p = 1/Λ = 0.1230333
    const r = msprt(control, treatment, { alpha: 0.05, priorEffect: 0.05 });
    close(r.lambda, 8.127882, 1e-6);
    close(r.pValue, 0.1230333, 1e-7);
    assert.equal(r.decide, false);
    assert.equal(msprt(control, treatment, { alpha: 0.2 }).decide, true);
    assert.deepEqual(msprt({ successes: 0, trials: 10 }, { successes: 0, trials: 10 }), {
      lambda: 1,
      pValue: 1,
      decide: false,
    });
  });

  it('gives an always-valid interval wider than the fixed-horizon one', () => {
    // 0.05 ± √(v (v + τ²) / τ² · (2 ln 20 + ln((v + τ²) / v))) with the unpooled v = 0.0003475
    const [low, high] = msprtConfidenceInterval(control, treatment);
    close(low, -0.0066037, 1e-7);
    close(high, 0.1066037, 1e-7);
  });

  it('keeps the running minimum p-value, stops for good, and resumes from its state', () => {
    const test = new SequentialAbTest({ alpha: 0.05 });
    assert.deepEqual(test.look({ successes: 10, trials: 50 }, { successes: 30, trials: 50 }), {
      pValue: 1,
      stop: false,
    });
    const first = test.look(control, treatment);
    close(first.pValue, 0.1230333, 1e-7);
    const later = test.look({ successes: 400, trials: 2000 }, { successes: 410, trials: 2000 });
    assert.equal(later.pValue, first.pValue);
    const resumed = new SequentialAbTest({ alpha: 0.05 }, test.state);
    const strong = resumed.look({ successes: 400, trials: 2000 }, { successes: 520, trials: 2000 });
    assert.equal(strong.stop, true);
    assert.equal(strong.winner, 'B');
    assert.deepEqual(resumed.look({ successes: 600, trials: 3000 }, { successes: 600, trials: 3000 }), strong);
    assert.equal(resumed.state.looks, 4);
  });
});

describe('the A/B decision at each analysis', () => {
  it('reads a fixed-horizon test only at the horizon', () => {
    const early = decideAbTest({ control, treatment, alpha: 0.05, method: 'fixed-horizon', horizonReached: false });
    assert.equal(early.winner, 'none');
    assert.equal(early.done, false);
    const final = decideAbTest({ control, treatment, alpha: 0.05, method: 'fixed-horizon', horizonReached: true });
    assert.equal(final.winner, 'treatment');
    assert.equal(final.done, true);
    assert.equal(
      final.reason,
      'The treatment wins at the horizon: treatment 25.00% (250/1000) vs control 20.00% (200/1000), lift +25.0%, ' +
        'difference +5.00 pp (95% CI +1.35 pp to +8.65 pp), z = 2.68, p = 0.0074 < alpha 0.05 (two-proportion z-test).',
    );
    const worse = decideAbTest({
      control: treatment,
      treatment: control,
      alpha: 0.05,
      method: 'fixed-horizon',
      horizonReached: true,
    });
    assert.equal(worse.winner, 'control');
    close(worse.lift!, -0.2, 1e-12);
  });

  it('carries the sequential state from one analysis to the next', () => {
    const input = { alpha: 0.05, method: 'sequential' as const, horizonReached: false };
    const first = decideAbTest({ ...input, control, treatment });
    assert.equal(first.winner, 'none');
    assert.equal(first.done, false);
    assert.match(first.reason, /^No decision yet after 1 look: .* always-valid p = 0\.1230 > alpha 0\.05\.$/);
    const second = decideAbTest({
      ...input,
      control: { successes: 400, trials: 2000 },
      treatment: { successes: 520, trials: 2000 },
      sequentialState: first.sequentialState,
    });
    assert.equal(second.winner, 'treatment');
    assert.equal(second.done, true);
    assert.match(second.reason, /^The treatment wins after 2 looks: .*\(mSPRT\)\.$/);
    assert.ok(second.confidenceInterval[0] > 0);
  });

  it('waits on an empty arm, and ends without a winner at the horizon', () => {
    const empty = { successes: 0, trials: 0 };
    const waiting = decideAbTest({
      control: empty,
      treatment,
      alpha: 0.05,
      method: 'sequential',
      horizonReached: false,
    });
    assert.deepEqual([waiting.winner, waiting.done, waiting.pValue], ['none', false, 1]);
    assert.match(waiting.reason, /no trials in the control arm/);
    const flat = { successes: 200, trials: 1000 };
    const end = decideAbTest({ control, treatment: flat, alpha: 0.05, method: 'sequential', horizonReached: true });
    assert.deepEqual([end.winner, end.done], ['none', true]);
  });
});

/**
 * Simulated experiments: arms grow by `step` trials per look up to `n`; each arm's successes per look
 * are an exact binomial draw, the sum of `step` seeded Bernoulli draws (4000 per experiment at n = 2000).
 */
function simulate(pA: number, pB: number, options: { runs: number; n: number; step: number; seed: number }) {
  const random = seededRandom(options.seed);
  const binomial = (trials: number, p: number) => {
    let s = 0;
    for (let i = 0; i < trials; i++) if (random() < p) s++;
    return s;
  };
  const outcome = { fixed: 0, fixedB: 0, sequential: 0, sequentialB: 0, peeking: 0, samples: 0, csMisses: 0 };
  for (let run = 0; run < options.runs; run++) {
    const a: Proportion = { successes: 0, trials: 0 };
    const b: Proportion = { successes: 0, trials: 0 };
    const test = new SequentialAbTest({ alpha: 0.05 });
    let stoppedAt: number | undefined;
    let peeked = false;
    let missed = false;
    for (let n = options.step; n <= options.n; n += options.step) {
      a.successes += binomial(options.step, pA);
      b.successes += binomial(options.step, pB);
      a.trials = b.trials = n;
      const look = test.look(a, b);
      if (look.stop && stoppedAt === undefined) {
        stoppedAt = n;
        outcome.sequential++;
        if (look.winner === 'B') outcome.sequentialB++;
      }
      peeked ||= twoProportionZTest(a, b).significant;
      const [low, high] = msprtConfidenceInterval(a, b);
      missed ||= pB - pA < low || pB - pA > high;
    }
    outcome.samples += stoppedAt ?? options.n;
    if (peeked) outcome.peeking++;
    if (missed) outcome.csMisses++;
    const fixed = twoProportionZTest(a, b);
    if (fixed.significant) {
      outcome.fixed++;
      if (fixed.difference > 0) outcome.fixedB++;
    }
  }
  const share = (count: number) => count / options.runs;
  return {
    fixed: share(outcome.fixed),
    fixedB: share(outcome.fixedB),
    sequential: share(outcome.sequential),
    sequentialB: share(outcome.sequentialB),
    /** Runs where a z-test read at any look was significant (the mistake the sequential test avoids). */
    peeking: share(outcome.peeking),
    /** Runs where the always-valid interval missed the true difference at some look. */
    csMisses: share(outcome.csMisses),
    meanSamples: outcome.samples / options.runs,
  };
}

describe('error control and power, simulated', () => {
  const runs = 500;
  const noise = 3 * Math.sqrt((0.05 * 0.95) / runs); // three binomial standard errors at alpha = 0.05

  it('the fixed-horizon test covers the true difference in about 95% of 2000 experiments', () => {
    const random = seededRandom(7);
    const binomial = (trials: number, p: number) => {
      let s = 0;
      for (let i = 0; i < trials; i++) if (random() < p) s++;
      return s;
    };
    let covered = 0;
    for (let run = 0; run < 2000; run++) {
      const r = twoProportionZTest(
        { successes: binomial(1000, 0.2), trials: 1000 },
        { successes: binomial(1000, 0.25), trials: 1000 },
      );
      if (r.confidenceInterval[0] <= 0.05 && 0.05 <= r.confidenceInterval[1]) covered++;
    }
    close(covered / 2000, 0.95, 3 * Math.sqrt((0.05 * 0.95) / 2000));
  });

  it('declares a winner in at most alpha of no-effect experiments (0.30 vs 0.30, n = 2000)', () => {
    const r = simulate(0.3, 0.3, { runs, n: 2000, step: 100, seed: 11 });
    assert.ok(r.fixed <= 0.05 + noise, `fixed horizon: ${r.fixed}`);
    assert.ok(r.sequential <= 0.05 + noise, `sequential, a look every 100: ${r.sequential}`);
    assert.ok(r.csMisses <= 0.05 + noise, `always-valid interval: ${r.csMisses}`);
    // reading the z-test at every look instead would find far more "winners"
    assert.ok(r.peeking > 0.1, `z-test at every look: ${r.peeking}`);
  });

  it('finds a real effect (0.30 vs 0.36, n = 2000), the sequential test usually early', () => {
    const r = simulate(0.3, 0.36, { runs, n: 2000, step: 100, seed: 12 });
    assert.ok(r.fixedB >= 0.8, `fixed horizon power: ${r.fixedB}`);
    assert.ok(r.sequentialB >= 0.75, `sequential power: ${r.sequentialB}`);
    assert.ok(r.meanSamples <= 1500, `sequential mean samples per arm: ${r.meanSamples}`);
    assert.equal(r.fixed, r.fixedB);
  });
});
