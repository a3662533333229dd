/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions, as
 * `scipy.stats.wasserstein_distance(u, v)`: ∫ |F_u(x) − F_v(x)| dx, by one merge of the sorted
 * samples.
 */
import { sortedFinite } from './sorted';

/** W1 of two numeric samples (in the values' unit). Non-finite values are dropped; 0 when either is empty. */
export function wassersteinDistance(baseline: ArrayLike<number>, current: ArrayLike<number>): number {
  return wassersteinSorted(sortedFinite(baseline), sortedFinite(current));
}

/** `wassersteinDistance` on samples already sorted ascending and finite. */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 0;
  let i = 0;
  let j = 0;
  let sum = 0;
  let x = Math.min(a[0]!, b[0]!);
  while (i < n1 || j < n2) {
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    if (i === n1 && j === n2) break;
    const next = i < n1 && (j === n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    sum += Math.abs(i / n1 - j / n2) * (next - x);
    x = next;
  }
  return sum;
}
