/**
 * PSI and Jensen-Shannon against sampling noise: two samples of one distribution must not read as
 * drift just because the window is small, while a real shift still does.
 */
import assert from 'node:assert/strict';
import { columnDrift, noiseFloorOf, type DriftThresholds } from '../../activities/monitoring/drift';
import { seededRandom } from '../../common/random';

const THRESHOLDS: DriftThresholds = { psi: 0.2, ks_pvalue: 0.01, js_distance: 0.1, chi2_pvalue: 0.01 };

/** `n` normal draws (Box-Muller) with mean `mu`. */
function normal(random: () => number, n: number, mu = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return out;
}

describe('drift against sampling noise (PSI and JS noise floors)', () => {
  const runs = 200;
  const random = seededRandom(7);
  const baseline = normal(random, 5000);

  it('judges small windows of the baseline distribution as drifting rarely, though JS alone exceeds 0.1 often', () => {
    let drifting = 0;
    let jsAboveThreshold = 0;
    for (let r = 0; r < runs; r++) {
      const d = columnDrift('x', baseline, normal(random, 100), THRESHOLDS);
      if (d.drifts) drifting++;
      if (d.scores.js_distance > THRESHOLDS.js_distance) jsAboveThreshold++;
    }
    assert.ok(jsAboveThreshold > runs / 2, `JS distance above 0.1 in ${jsAboveThreshold}/${runs} no-drift windows`);
    // the KS test at p < 0.01 alone flags about 1%; the floors keep PSI and JS near their 1% (the tests' level, p < 0.01); over 1000
    // windows the three together flag about 6.5%
    assert.ok(drifting <= runs * 0.08, `${drifting}/${runs} no-drift windows of 100 judged drifting`);
  });

  it('still finds a shift of half a standard deviation in most windows of 100, and of one in every one', () => {
    let half = 0;
    let one = 0;
    for (let r = 0; r < runs; r++) {
      if (columnDrift('x', baseline, normal(random, 100, 0.5), THRESHOLDS).drifts) half++;
      if (columnDrift('x', baseline, normal(random, 100, 1), THRESHOLDS).drifts) one++;
    }
    assert.ok(half >= runs * 0.85, `${half}/${runs} windows shifted by 0.5 sd judged drifting`);
    assert.equal(one, runs, `${one}/${runs} windows shifted by 1 sd judged drifting`);
  });

  it('leaves large windows to the thresholds: the floors shrink with the sample sizes', () => {
    const small = noiseFloorOf(10, 5000, 100);
    const large = noiseFloorOf(10, 5000, 100_000);
    assert.ok(small.js_distance > THRESHOLDS.js_distance && small.psi > 0.15);
    assert.ok(large.js_distance < 0.05 && large.psi < 0.01, JSON.stringify(large));
    assert.deepEqual(noiseFloorOf(10, 0, 100), { psi: 0, js_distance: 0 });
    // a categorical column: the floor follows the number of categories
    const cats = (n: number, p: number) => Array.from({ length: n }, () => (random() < p ? 'a' : 'b'));
    const d = columnDrift('c', cats(5000, 0.5), cats(100, 0.5), THRESHOLDS);
    assert.deepEqual(d.noiseFloor, noiseFloorOf(2, 5000, 100));
  });
});
