/**
 * Streaming numeric statistics in bounded memory, deterministic for identical input:
 *
 * - count, min, max exact; mean and standard deviation (sample, n − 1) by Welford's method;
 * - quantiles by linear interpolation between order statistics (numpy's default, "type 7"),
 *   computed over every value when there are at most `SAMPLE_SIZE`, else over a reservoir sample
 *   (Algorithm R) drawn with a PRNG of fixed seed; the 0 and 1 quantiles are always the exact min
 *   and max;
 * - a histogram of `HISTOGRAM_BINS` equal-width bins from min to max (the last bin closed), counted
 *   over the same values as the quantiles and, when sampled, scaled to the full count by largest
 *   remainders so the counts still sum to it.
 */
import type { NumericStats } from './types';
import { mulberry32 } from '../../common/random';

export const SAMPLE_SIZE = 32_768;
export const QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1] as const;
export const HISTOGRAM_BINS = 20;

/** Accumulates numbers one at a time. */
export class NumericAccumulator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private sample = new Float64Array(256);
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = mulberry32(seed);
  }

  add(x: number): void {
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.n <= SAMPLE_SIZE) {
      if (this.n > this.sample.length) {
        const grown = new Float64Array(Math.min(SAMPLE_SIZE, this.sample.length * 2));
        grown.set(this.sample);
        this.sample = grown;
      }
      this.sample[this.n - 1] = x;
    } else {
      const slot = Math.floor(this.random() * this.n);
      if (slot < SAMPLE_SIZE) this.sample[slot] = x;
    }
  }

  /** The statistics, or undefined when no number was added. */
  finish(): NumericStats | undefined {
    if (this.n === 0) return undefined;
    const size = Math.min(this.n, SAMPLE_SIZE);
    const sorted = this.sample.slice(0, size).sort();
    const quantiles = QUANTILES.map((q) => ({
      q,
      value: q === 0 ? this.min : q === 1 ? this.max : quantile(sorted, q),
    }));
    return {
      min: this.min,
      max: this.max,
      mean: this.mean,
      std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0,
      quantiles,
      histogram: histogram(sorted, this.min, this.max, this.n),
      sampleSize: size,
    };
  }
}

/** Linear interpolation between the order statistics around rank (n − 1)·q of sorted values. */
export function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function histogram(values: Float64Array, min: number, max: number, total: number): NumericStats['histogram'] {
  if (min === max) return { edges: [min, max], counts: [total] };
  const width = (max - min) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) => (k === HISTOGRAM_BINS ? max : min + k * width));
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const x of values) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((x - min) / width))]!++;
  return { edges, counts: values.length === total ? counts : scale(counts, values.length, total) };
}

/** Scales counts summing to `from` so they sum to `to`, rounding by largest remainders (ties: lower bin). */
function scale(counts: number[], from: number, to: number): number[] {
  const exact = counts.map((count) => (count * to) / from);
  const out = exact.map(Math.floor);
  let missing = to - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, i) => ({ i, rest: value - Math.floor(value) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (missing-- <= 0) break;
    out[i]!++;
  }
  return out;
}
