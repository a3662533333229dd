/**
 * Category counts of two categorical samples over the union of their categories, in order of
 * first appearance (baseline first), and the tests on them.
 */
import { chiSquareSurvival } from './gamma';

export interface CategoryCounts {
  categories: string[];
  baseline: Float64Array;
  current: Float64Array;
}

/** Counts of each category seen in either sample (null and undefined count as the category ''). */
export function categoryCounts(
  baseline: readonly (string | null | undefined)[],
  current: readonly (string | null | undefined)[],
): CategoryCounts {
  const index = new Map<string, number>();
  const counts: number[][] = [[], []];
  const tally = (values: readonly (string | null | undefined)[], side: 0 | 1): void => {
    for (const raw of values) {
      const v = raw ?? '';
      let k = index.get(v);
      if (k === undefined) {
        k = index.size;
        index.set(v, k);
        counts[0]!.push(0);
        counts[1]!.push(0);
      }
      counts[side]![k]!++;
    }
  };
  tally(baseline, 0);
  tally(current, 1);
  return {
    categories: [...index.keys()],
    baseline: Float64Array.from(counts[0]!),
    current: Float64Array.from(counts[1]!),
  };
}

export interface ChiSquareResult {
  /** Pearson's statistic of the 2 × k table (with Yates' correction when k = 2). */
  statistic: number;
  pvalue: number;
  dof: number;
}

/**
 * Chi-square test of independence on the 2 × k contingency table (rows: baseline, current;
 * columns: categories), as `scipy.stats.chi2_contingency(table)` with its default Yates correction
 * when dof = 1. Categories empty in both rows are left out (SciPy refuses a zero expected count);
 * with fewer than two categories left, or an empty sample, the result is statistic 0, p 1, dof 0.
 */
export function chiSquareContingency(baseline: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  const cols: number[] = [];
  let nb = 0;
  let nc = 0;
  for (let i = 0; i < baseline.length; i++) {
    if (baseline[i]! + (current[i] ?? 0) > 0) cols.push(i);
    nb += baseline[i]!;
    nc += current[i] ?? 0;
  }
  const dof = cols.length - 1;
  if (nb <= 0 || nc <= 0 || dof < 1) return { statistic: 0, pvalue: 1, dof: 0 };
  const total = nb + nc;
  let statistic = 0;
  for (const i of cols) {
    const col = baseline[i]! + current[i]!;
    for (const [observed, row] of [
      [baseline[i]!, nb],
      [current[i]!, nc],
    ] as const) {
      const expected = (row * col) / total;
      let o = observed;
      if (dof === 1) {
        const diff = expected - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += ((o - expected) * (o - expected)) / expected;
    }
  }
  return { statistic, pvalue: chiSquareSurvival(statistic, dof), dof };
}
