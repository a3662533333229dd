/**
 * Properties of the drift statistics on a few hundred seeded random inputs of every awkward shape
 * (empty, single values, constants, ties, ±0, huge and tiny magnitudes, non-finite values mixed in):
 * nothing throws, every result is defined and in its range, identical samples score no drift, and
 * the symmetric statistics are symmetric.
 */
import assert from 'node:assert/strict';
import {
  categoryCounts,
  columnDrift,
  datasetDrift,
  jensenShannonNumeric,
  ksTwoSample,
  populationStabilityIndex,
  sortedFinite,
  wassersteinDistance,
  type DriftThresholds,
} from '../../activities/monitoring';
import { seededRandom } from '../../common/random';

const THRESHOLDS: DriftThresholds = { psi: 0.2, ks_pvalue: 0.01, js_distance: 0.1, chi2_pvalue: 0.01, wasserstein: 1 };

/** A random finite sample of one of several shapes. */
function sample(random: () => number): Float64Array {
  const sizes = [0, 1, 2, 3, 7, 20, 100, 600];
  const n = sizes[Math.floor(random() * sizes.length)]!;
  const shape = Math.floor(random() * 6);
  const scale = [1, 1e-300, 1e300, 1e-8, 1e8][Math.floor(random() * 5)]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = random();
    if (shape === 0) out[i] = (u - 0.5) * scale;
    else if (shape === 1)
      out[i] = Math.floor(u * 4) * scale; // ties
    else if (shape === 2)
      out[i] = 3; // constant
    else if (shape === 3) out[i] = u < 0.5 ? -0 : 0;
    else if (shape === 4)
      out[i] = -Math.log(1 - u) * scale; // skewed
    else out[i] = (u < 0.9 ? u : u * 1e6) * (random() < 0.5 ? -1 : 1); // outliers
  }
  return out;
}

/** sup |F_a − F_b| evaluated at every value of either sample, counting directly. */
function bruteForceD(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (const x of [...a, ...b]) {
    const fa = a.filter((v) => v <= x).length / a.length;
    const fb = b.filter((v) => v <= x).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}

function inUnit(x: number, what: string): void {
  assert.ok(x >= 0 && x <= 1, `${what} = ${x}`);
}

describe('drift statistics properties', () => {
  it('keep D and p in [0, 1], PSI ≥ 0, JS in [0, 1] and W1 ≥ 0 on any finite input, symmetric where they should be', () => {
    const random = seededRandom(7);
    for (let k = 0; k < 400; k++) {
      const a = sample(random);
      const b = sample(random);
      const ks = ksTwoSample(a, b);
      inUnit(ks.statistic, 'D');
      inUnit(ks.pvalue, 'p');
      assert.equal(ksTwoSample(b, a).statistic, ks.statistic);
      if (ks.method === 'exact' && a.length > 0 && b.length > 0) {
        // D is reported on the lattice h / lcm(n1, n2); a brute-force sup over every value agrees
        assert.ok(Math.abs(ks.statistic - bruteForceD(a, b)) <= 1e-12, `D ${ks.statistic} vs ${bruteForceD(a, b)}`);
      }
      const psi = populationStabilityIndex(a, b);
      assert.ok(psi >= 0 && Number.isFinite(psi), `PSI = ${psi}`);
      const js = jensenShannonNumeric(a, b);
      inUnit(js, 'JS');
      assert.ok(Math.abs(jensenShannonNumeric(b, a) - js) <= 1e-15);
      const w = wassersteinDistance(a, b);
      assert.ok(w >= 0 && !Number.isNaN(w), `W1 = ${w}`);
      assert.ok(Math.abs(wassersteinDistance(b, a) - w) <= 1e-12 * Math.max(1, w));
    }
  });

  it('score identical samples as no drift at all', () => {
    const random = seededRandom(11);
    for (let k = 0; k < 200; k++) {
      const a = sample(random);
      const ks = ksTwoSample(a, a.slice());
      assert.equal(ks.statistic, 0);
      assert.equal(ks.pvalue, 1);
      assert.equal(populationStabilityIndex(a, a), 0);
      assert.equal(jensenShannonNumeric(a, a), 0);
      assert.equal(wassersteinDistance(a, a), 0);
      const drift = columnDrift('x', a, a, THRESHOLDS);
      assert.equal(drift.drifts, false);
    }
  });

  it('return neutral results for empty sides and drop non-finite values', () => {
    const empty = new Float64Array(0);
    const one = Float64Array.of(1.5);
    for (const [a, b] of [
      [empty, empty],
      [empty, one],
      [one, empty],
    ]) {
      assert.deepEqual(ksTwoSample(a!, b!), { statistic: 0, pvalue: 1, method: 'exact' });
      assert.equal(populationStabilityIndex(a!, b!), 0);
      assert.equal(jensenShannonNumeric(a!, b!), 0);
      assert.equal(wassersteinDistance(a!, b!), 0);
      const drift = columnDrift('x', a!, b!, THRESHOLDS);
      assert.equal(drift.drifts, false);
      assert.deepEqual(drift.breached, []);
    }
    const dirty = [Number.NaN, 2, Infinity, 1, -Infinity];
    assert.deepEqual(Array.from(sortedFinite(dirty)), [1, 2]);
    assert.deepEqual(ksTwoSample(dirty, [1, 2]), ksTwoSample([1, 2], [1, 2]));
    // the extremes of the doubles do not throw either
    const extreme = Float64Array.of(-Number.MAX_VALUE, Number.MAX_VALUE, Number.MIN_VALUE, 0);
    assert.doesNotThrow(() => columnDrift('x', extreme, one, THRESHOLDS));
  });

  it('sorts large columns (radix path) exactly as a comparison sort does', () => {
    const random = seededRandom(3);
    for (const n of [5000, 70000]) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const u = random();
        values[i] =
          u < 0.1 ? -0 : u < 0.2 ? 0 : u < 0.3 ? Math.floor(u * 100) : (u - 0.6) * 10 ** Math.floor(u * 40 - 20);
      }
      const expected = Array.from(values).sort((x, y) => x - y);
      const actual = Array.from(sortedFinite(values));
      assert.equal(actual.length, n);
      for (let i = 0; i < n; i++) assert.ok(actual[i] === expected[i], `index ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  });

  it('judges categorical and mixed datasets without throwing, and reports unmatched columns', () => {
    const random = seededRandom(5);
    const pick = (n: number, k: number) => Array.from({ length: n }, () => `c${Math.floor(random() * k)}`);
    for (let k = 0; k < 100; k++) {
      const nb = [0, 1, 5, 50][k % 4]!;
      const nc = [0, 1, 5, 50][Math.floor(k / 4) % 4]!;
      const drift = columnDrift('c', pick(nb, 1 + (k % 6)), pick(nc, 1 + ((k * 7) % 6)), THRESHOLDS);
      // two empty arrays carry no type: they are reported as numeric, with neutral scores
      assert.equal(drift.kind, nb + nc > 0 ? 'categorical' : 'numeric');
      inUnit(drift.scores.chi2_pvalue ?? drift.scores.ks_pvalue!, 'p');
      inUnit(drift.scores.js_distance, 'JS');
      assert.ok(drift.scores.psi >= 0);
    }
    const same = ['a', 'b', 'a', null];
    const counts = categoryCounts(same, same);
    assert.deepEqual(counts.categories, ['a', 'b', '']);
    assert.deepEqual([...counts.baseline], [2, 1, 1]);
    assert.deepEqual([...counts.current], [2, 1, 1]);
    const result = datasetDrift(
      { age: Float64Array.of(1, 2, 3), plan: ['a', 'b', 'a'], gone: [1] },
      { age: Float64Array.of(30, 40, 50), plan: ['b', 'a', 'a'], added: ['x'] },
      THRESHOLDS,
    );
    assert.deepEqual(
      result.columns.map((c) => [c.column, c.kind]),
      [
        ['age', 'numeric'],
        ['plan', 'categorical'],
      ],
    );
    assert.deepEqual(result.unmatched, ['gone', 'added']);
    assert.deepEqual(result.drifted, ['age']);
    // three values a side: PSI and JS are past their thresholds but not past what three values can
    // show by chance (their noise floors), and KS's exact p is 0.1; Wasserstein has an absolute threshold
    assert.ok(
      result.columns[0]!.scores.psi > THRESHOLDS.psi && result.columns[0]!.scores.js_distance > THRESHOLDS.js_distance,
    );
    assert.deepEqual(result.columns[0]!.breached, ['wasserstein']);
    assert.equal(result.share, 0.5);
  });
});
