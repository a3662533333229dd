/**
 * The drift statistics against SciPy itself: the fixture script (scripts/drift_fixtures.py) runs in
 * the repository's .venv on every test run and writes samples with SciPy's results on them.
 * Tolerances: statistics (D, PSI, JS, W1, χ²) within 1e-12 absolute, or relative to the reference
 * when it exceeds 1; p-values and distribution tails within 1e-6 relative to the reference, however
 * small (down to subnormal tails near 4e-314 here), and below 1e-300 where SciPy gives 0; the
 * one-sided Smirnov tail at 10⁴ to 10⁶ rows, and the two-sided tails and KS p-values that are twice
 * it there, within 1e-12 relative (SciPy computes it in double-double arithmetic).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  chiSquareSurvival,
  columnDrift,
  jensenShannonNumeric,
  kolmogorovSurvival,
  ksTwoSample,
  populationStabilityIndex,
  smirnovSurvival,
  wassersteinDistance,
  type DriftThresholds,
} from '../../activities/monitoring';
import { REPO_ROOT } from '../../lib/tools';

interface NumericCase {
  name: string;
  kind: 'numeric';
  baseline: number[];
  current: number[];
  ks_statistic: number;
  ks_pvalue: number;
  psi: number;
  js_distance: number;
  wasserstein: number;
  /** The p-value is twice the one-sided Smirnov tail at a large n: checked to 1e-12. */
  precise: boolean;
}

interface CategoricalCase {
  name: string;
  kind: 'categorical';
  baseline: string[];
  current: string[];
  chi2_statistic: number;
  chi2_pvalue: number;
  chi2_dof: number;
  psi: number;
  js_distance: number;
}

interface Fixtures {
  scipy: string;
  cases: (NumericCase | CategoricalCase)[];
  kstwo: { n: number; x: number; sf: number }[];
  /** kstwo.sf at 10⁴ to 10⁶ where it is twice the one-sided tail. */
  kstwo_large: { n: number; x: number; sf: number }[];
  /** scipy.special.smirnov at 10⁴ to 10⁶. */
  smirnov: { n: number; x: number; sf: number }[];
  chi2: { dof: number; x: number; sf: number }[];
}

const THRESHOLDS: DriftThresholds = { psi: 0.2, ks_pvalue: 0.01, js_distance: 0.1, chi2_pvalue: 0.01 };

function statisticClose(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: missing`);
  const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs SciPy ${expected}`);
}

/** Relative tolerance of p-values and tails in general, and where they come from the Smirnov sum. */
const PVALUE_TOLERANCE = 1e-6;
const SMIRNOV_TOLERANCE = 1e-12;

function pvalueClose(actual: number | undefined, expected: number, what: string, relative = PVALUE_TOLERANCE): void {
  assert.ok(actual !== undefined, `${what}: missing`);
  const tolerance = expected === 0 ? 1e-300 : relative * expected;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs SciPy ${expected}`);
}

describe('drift statistics against SciPy', function () {
  // the fixture script spends most of this on SciPy's Smirnov tail at 10⁶ rows
  this.timeout(180_000);
  let fixtures: Fixtures;

  before(() => {
    // no skip: without the venv's SciPy there is nothing to check against, and that is a failure
    const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
    assert.ok(fs.existsSync(python), `${python} is missing: run npm run setup`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-drift-fixtures-'));
    const out = path.join(dir, 'fixtures.json');
    try {
      execFileSync(python, [path.join(REPO_ROOT, 'scripts', 'drift_fixtures.py'), out], { stdio: 'pipe' });
      fixtures = JSON.parse(fs.readFileSync(out, 'utf8')) as Fixtures;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(fixtures.cases.length > 20);
  });

  it('computes the KS statistic and its p-value as ks_2samp(method="auto"), exact and asymptotic', () => {
    let exact = 0;
    let asymptotic = 0;
    for (const c of fixtures.cases) {
      if (c.kind !== 'numeric') continue;
      const ks = ksTwoSample(Float64Array.from(c.baseline), Float64Array.from(c.current));
      statisticClose(ks.statistic, c.ks_statistic, `${c.name}: D`);
      pvalueClose(ks.pvalue, c.ks_pvalue, `${c.name}: p`, c.precise ? SMIRNOV_TOLERANCE : PVALUE_TOLERANCE);
      if (ks.method === 'exact') exact++;
      else asymptotic++;
    }
    assert.ok(exact >= 8 && asymptotic >= 10, `${exact} exact, ${asymptotic} asymptotic cases`);
  });

  it('computes PSI, Jensen-Shannon and Wasserstein-1 of numeric samples as NumPy and SciPy do', () => {
    for (const c of fixtures.cases) {
      if (c.kind !== 'numeric') continue;
      const [b, x] = [Float64Array.from(c.baseline), Float64Array.from(c.current)];
      statisticClose(populationStabilityIndex(b, x), c.psi, `${c.name}: PSI`);
      statisticClose(jensenShannonNumeric(b, x), c.js_distance, `${c.name}: JS`);
      statisticClose(wassersteinDistance(b, x), c.wasserstein, `${c.name}: W1`);
    }
  });

  it('computes the chi-square test, PSI and JS of categorical samples as chi2_contingency and jensenshannon', () => {
    let cases = 0;
    for (const c of fixtures.cases) {
      if (c.kind !== 'categorical') continue;
      const drift = columnDrift(c.name, c.baseline, c.current, THRESHOLDS);
      assert.equal(drift.kind, 'categorical');
      statisticClose(drift.scores.chi2_statistic, c.chi2_statistic, `${c.name}: chi2`);
      pvalueClose(drift.scores.chi2_pvalue, c.chi2_pvalue, `${c.name}: chi2 p`);
      statisticClose(drift.scores.psi, c.psi, `${c.name}: PSI`);
      statisticClose(drift.scores.js_distance, c.js_distance, `${c.name}: JS`);
      cases++;
    }
    assert.ok(cases >= 5);
  });

  it('matches kstwo.sf over every method region, and chi2.sf from the body to the far tail', () => {
    for (const k of fixtures.kstwo) pvalueClose(kolmogorovSurvival(k.x, k.n), k.sf, `kstwo.sf(${k.x}, ${k.n})`);
    for (const k of fixtures.chi2) pvalueClose(chiSquareSurvival(k.x, k.dof), k.sf, `chi2.sf(${k.x}, ${k.dof})`);
  });

  it('computes the one-sided Smirnov tail at 10⁴ to 10⁶ rows, and kstwo.sf there, to 1e-12 as SciPy', () => {
    assert.ok(fixtures.smirnov.length >= 16 && fixtures.kstwo_large.length >= 4);
    for (const k of fixtures.smirnov) {
      assert.ok(k.sf > 0, `smirnov(${k.n}, ${k.x}) is a tail SciPy does not round to 0`);
      pvalueClose(smirnovSurvival(k.n, k.x), k.sf, `smirnov(${k.n}, ${k.x})`, SMIRNOV_TOLERANCE);
    }
    for (const k of fixtures.kstwo_large) {
      pvalueClose(kolmogorovSurvival(k.x, k.n), k.sf, `kstwo.sf(${k.x}, ${k.n})`, SMIRNOV_TOLERANCE);
    }
    // outside its domain there is no tail, rather than a number from a sum with no meaning
    for (const [n, x] of [
      [10.5, 0.1],
      [0, 0.1],
      [100, 1.5],
      [100, Number.NaN],
    ] as const) {
      assert.ok(Number.isNaN(smirnovSurvival(n, x)), `smirnov(${n}, ${x}) is NaN`);
    }
  });

  it('judges a column by the thresholds: the shifted samples drift, the same-distribution ones do not', () => {
    const byName = new Map(fixtures.cases.map((c) => [c.name, c]));
    const far = byName.get('asymptotic 12000 vs 11000 far') as NumericCase;
    const same = byName.get('asymptotic 12000 vs 11000 same') as NumericCase;
    const drifting = columnDrift('x', Float64Array.from(far.baseline), Float64Array.from(far.current), THRESHOLDS);
    assert.equal(drifting.drifts, true);
    assert.deepEqual(drifting.breached, ['psi', 'ks_pvalue', 'js_distance']);
    const steady = columnDrift('x', Float64Array.from(same.baseline), Float64Array.from(same.current), {
      ...THRESHOLDS,
      wasserstein: 0.5,
    });
    assert.equal(steady.drifts, false, JSON.stringify(steady.scores));
    assert.deepEqual(steady.breached, []);
  });
});
