/**
 * Jensen-Shannon distance, as `scipy.spatial.distance.jensenshannon(p, q, base=2)`: the square root
 * of the mean of the Kullback-Leibler divergences of p and q from their midpoint, in bits, so it
 * lies in [0, 1].
 */
import { sharedHistogram } from './histogram';
import { sortedFinite } from './sorted';

/** JS distance (base 2) of two count or weight vectors over the same bins; 0 when either sums to 0. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) sp += p[i]!;
  for (let i = 0; i < q.length; i++) sq += q[i]!;
  if (!(sp > 0) || !(sq > 0)) return 0;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.min(1, Math.sqrt(Math.max(0, js / Math.LN2 / 2)));
}

/**
 * JS distance of two numeric samples over `bins` shared equal-width bins spanning both
 * (see ./histogram.ts). Non-finite values are dropped; 0 when either sample is then empty.
 * @default bins 10
 */
export function jensenShannonNumeric(baseline: ArrayLike<number>, current: ArrayLike<number>, bins = 10): number {
  return jensenShannonSorted(sortedFinite(baseline), sortedFinite(current), bins);
}

/** `jensenShannonNumeric` on finite samples (sorted or not). */
export function jensenShannonSorted(baseline: Float64Array, current: Float64Array, bins = 10): number {
  if (baseline.length === 0 || current.length === 0) return 0;
  const h = sharedHistogram(baseline, current, bins);
  return jensenShannonDistance(h.a, h.b);
}
