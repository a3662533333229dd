/**
 * Shared equal-width histograms of two numeric samples, as NumPy's `np.histogram` with the edges of
 * `np.histogram_bin_edges(np.concatenate([a, b]), bins)`: `bins` bins from the smallest to the
 * largest value of either (a range of ±0.5 around a single value), the last bin closed.
 */

/** Counts of `a` and of `b` in the same `bins` equal-width bins over their joint range. */
export function sharedHistogram(
  a: Float64Array,
  b: Float64Array,
  bins = 10,
): { edges: Float64Array; a: Float64Array; b: Float64Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of [a, b]) {
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) {
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  // np.linspace(lo, hi, bins + 1): i·step + lo, the last edge exactly hi
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + lo;
  edges[bins] = hi;
  return { edges, a: countInto(a, edges, lo, hi, bins), b: countInto(b, edges, lo, hi, bins) };
}

function countInto(values: Float64Array, edges: Float64Array, lo: number, hi: number, bins: number): Float64Array {
  const counts = new Float64Array(bins);
  const norm = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // the bin by arithmetic, then corrected against the edges themselves (as NumPy does)
    let k = Math.floor((v - lo) * norm);
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    if (v < edges[k]!) k--;
    else if (k !== bins - 1 && v >= edges[k + 1]!) k++;
    counts[k]!++;
  }
  return counts;
}
