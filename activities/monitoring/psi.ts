/**
 * Population stability index, the one implementation in the project (drift monitoring and the
 * canary analysis of rollouts both use it): Σ (c − b) · ln(c / b) over the bins, where b and c are
 * the baseline's and the current sample's shares of each bin.
 */
import { sortedFinite } from './sorted';

export interface PsiOptions {
  /** Quantile bins cut from the baseline (ties merge bins, so there may be fewer). @default 10 */
  bins?: number;
  /** Floor of a bin's share, so an empty bin contributes a large but finite term. @default 1e-4 */
  epsilon?: number;
}

/**
 * PSI of `current` against `baseline` on numeric values. Bin edges are the baseline's order
 * statistics at ranks ⌊i·n/bins⌋ (i = 1 … bins−1), duplicates dropped; bins are [edge_{i−1}, edge_i),
 * open at both ends. Non-finite values are dropped; 0 when either sample is then empty.
 */
export function populationStabilityIndex(
  baseline: ArrayLike<number>,
  current: ArrayLike<number>,
  options: PsiOptions = {},
): number {
  return populationStabilityIndexSorted(sortedFinite(baseline), sortedFinite(current), options);
}

/** `populationStabilityIndex` on samples already sorted ascending and finite. */
export function populationStabilityIndexSorted(
  baseline: Float64Array,
  current: Float64Array,
  options: PsiOptions = {},
): number {
  const bins = Math.max(1, Math.floor(options.bins ?? 10));
  const epsilon = options.epsilon ?? 1e-4;
  const n = baseline.length;
  if (n === 0 || current.length === 0) return 0;
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = baseline[Math.min(n - 1, Math.floor((i * n) / bins))]!;
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return psiFromCounts(sortedBinCounts(baseline, edges), sortedBinCounts(current, edges), epsilon);
}

/** PSI of two count vectors over the same bins (e.g. categories), shares floored at `epsilon`. */
export function psiFromCounts(baseline: ArrayLike<number>, current: ArrayLike<number>, epsilon = 1e-4): number {
  let nb = 0;
  let nc = 0;
  for (let i = 0; i < baseline.length; i++) nb += baseline[i]!;
  for (let i = 0; i < current.length; i++) nc += current[i]!;
  if (nb === 0 || nc === 0) return 0;
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = Math.max(baseline[i]! / nb, epsilon);
    const c = Math.max(current[i]! / nc, epsilon);
    psi += (c - b) * Math.log(c / b);
  }
  return Math.max(0, psi);
}

/** Counts of sorted values in the bins (−∞, e0), [e0, e1), …, [e_last, ∞): one pass, no search per value. */
function sortedBinCounts(sorted: Float64Array, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let start = 0;
  for (let k = 0; k < edges.length; k++) {
    const end = lowerBound(sorted, edges[k]!, start);
    counts[k] = end - start;
    start = end;
  }
  counts[edges.length] = sorted.length - start;
  return counts;
}

/** First index ≥ `from` whose value is not below `x`. */
function lowerBound(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
