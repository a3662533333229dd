/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, matching `scipy.stats.ks_2samp(method='auto')`:
 * the statistic D = sup |F1 − F2| by one merge of the two sorted samples (O(n log n) for the sort,
 * linear after); the p-value exact when both samples have at most 10,000 values (D is then
 * reported as h / lcm(n1, n2), the lattice value it is rounded to, as SciPy does), else from the
 * one-sample distribution with n = round(n1·n2 / (n1 + n2)) (SciPy's `kstwo`), and the asymptotic
 * one also when the exact computation fails.
 */
import { kolmogorovSurvival } from './kolmogorov';
import { equalSizeTail, unequalSizeTail } from './ks-exact';
import { sortedFinite } from './sorted';

/** Largest sample size for which `auto` computes the exact p-value (SciPy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

export interface KsResult {
  /** D = sup over x of |F_baseline(x) − F_current(x)|, in [0, 1]. */
  statistic: number;
  /** Two-sided p-value, in [0, 1]. */
  pvalue: number;
  method: 'exact' | 'asymptotic';
}

/**
 * Two-sample KS test of `baseline` against `current`. Non-finite values are dropped; when either
 * sample is then empty the result is D 0, p 1 (no evidence of a difference).
 */
export function ksTwoSample(baseline: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  return ksTwoSampleSorted(sortedFinite(baseline), sortedFinite(current));
}

/** `ksTwoSample` on samples already sorted ascending and finite (e.g. from `sortedFinite`). */
export function ksTwoSampleSorted(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { statistic: 0, pvalue: 1, method: 'exact' };
  const d = ksStatisticSorted(a, b);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const exact = exactPValue(n1, n2, d);
    if (exact) return { ...exact, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = roundHalfEven((m * n) / (m + n));
  return { statistic: d, pvalue: clip(kolmogorovSurvival(d, en)), method: 'asymptotic' };
}

/**
 * D of two sorted samples: the largest gap between their empirical CDFs over every value of either.
 * Walks the shorter sample and gallops through the longer: between two values of the shorter one
 * the gap moves monotonically, so only the ends of each run need evaluating (the same (i, j) pairs,
 * hence the same floating-point gaps, as evaluating at every value).
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  if (a.length < b.length) return ksStatisticSorted(b, a);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 0;
  let i = 0;
  let j = 0;
  let max = 0;
  let min = 0;
  while (j < n2) {
    const x = b[j]!;
    // the run of a-values below x ends at (lt, j)
    const lt = gallopBelow(a, x, i);
    if (lt > i) {
      const diff = lt / n1 - j / n2;
      if (diff > max) max = diff;
      else if (diff < min) min = diff;
    }
    const le = gallopAtMost(a, x, lt);
    let jj = j + 1;
    while (jj < n2 && b[jj]! <= x) jj++;
    const diff = le / n1 - jj / n2;
    if (diff > max) max = diff;
    else if (diff < min) min = diff;
    i = le;
    j = jj;
  }
  // after the shorter sample's last value the gap only shrinks towards 0
  return Math.min(1, Math.max(max, -min));
}

/** First index ≥ `from` whose value is not below x, by exponential then binary search. */
function gallopBelow(a: Float64Array, x: number, from: number): number {
  const n = a.length;
  if (from >= n || !(a[from]! < x)) return from;
  let step = 1;
  while (from + step < n && a[from + step]! < x) step *= 2;
  let lo = from + (step >> 1) + 1;
  let hi = Math.min(from + step, n);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index ≥ `from` whose value is above x, by exponential then binary search. */
function gallopAtMost(a: Float64Array, x: number, from: number): number {
  const n = a.length;
  if (from >= n || !(a[from]! <= x)) return from;
  let step = 1;
  while (from + step < n && a[from + step]! <= x) step *= 2;
  let lo = from + (step >> 1) + 1;
  let hi = Math.min(from + step, n);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function exactPValue(n1: number, n2: number, d: number): { statistic: number; pvalue: number } | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pvalue: 1 };
  const p = n1 === n2 ? equalSizeTail(n1, h) : unequalSizeTail(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return undefined;
  return { statistic, pvalue: p };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Rounds half to even, as NumPy's `round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clip(p: number): number {
  return Number.isNaN(p) ? 1 : Math.min(1, Math.max(0, p));
}
