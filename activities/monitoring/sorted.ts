/**
 * Sorting for the drift statistics: the finite values of a column, ascending, in a new
 * Float64Array. Large columns are sorted by an LSD radix sort on the IEEE-754 bit patterns (six
 * passes of 11-bit digits, linear time), several times faster than a comparison sort at a million
 * rows; small ones by the built-in typed-array sort.
 */

/** Below this many values the built-in sort is as fast as the radix sort. */
const RADIX_MIN = 4096;

/** The finite values of `values` (NaN and ±Infinity dropped), sorted ascending, as a new array. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  let out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[k++] = v;
  }
  if (k < n) out = out.slice(0, k);
  return k < RADIX_MIN ? out.sort() : radixSort(out);
}

/** The digits of the radix sort: [word (0 low, 1 high), shift, bits]; 11-bit digits stay in cache. */
const DIGITS: readonly (readonly [number, number, number])[] = [
  [0, 0, 11],
  [0, 11, 11],
  [0, 22, 10],
  [1, 0, 11],
  [1, 11, 11],
  [1, 22, 10],
];
const BUCKETS = 2048;

/** Sorts `data` ascending (no NaN expected) and returns it; -0 sorts before +0, which compare equal. */
function radixSort(data: Float64Array): Float64Array {
  const n = data.length;
  let keys: Uint32Array = new Uint32Array(data.buffer, data.byteOffset, 2 * n);
  let spare: Uint32Array = new Uint32Array(2 * n);
  // order-preserving map from doubles to unsigned 64-bit keys: flip the sign bit of positives,
  // every bit of negatives; count every digit in the same pass
  const counts = new Uint32Array(DIGITS.length * BUCKETS);
  for (let i = 0; i < n; i++) {
    let lo = keys[2 * i]!;
    let hi = keys[2 * i + 1]!;
    if (hi & 0x80000000) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    keys[2 * i] = lo;
    keys[2 * i + 1] = hi;
    counts[lo & 0x7ff]!++;
    counts[BUCKETS + ((lo >>> 11) & 0x7ff)]!++;
    counts[2 * BUCKETS + (lo >>> 22)]!++;
    counts[3 * BUCKETS + (hi & 0x7ff)]!++;
    counts[4 * BUCKETS + ((hi >>> 11) & 0x7ff)]!++;
    counts[5 * BUCKETS + (hi >>> 22)]!++;
  }
  for (let pass = 0; pass < DIGITS.length; pass++) {
    const [word, shift, bits] = DIGITS[pass]!;
    const base = pass * BUCKETS;
    const mask = (1 << bits) - 1;
    // a digit every key shares moves nothing
    let skip = false;
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      const c = counts[base + d]!;
      if (c === n) skip = true;
      counts[base + d] = sum;
      sum += c;
    }
    if (skip) continue;
    for (let i = 0; i < n; i++) {
      const lo = keys[2 * i]!;
      const hi = keys[2 * i + 1]!;
      const digit = ((word === 0 ? lo : hi) >>> shift) & mask;
      const to = counts[base + digit]!++;
      spare[2 * to] = lo;
      spare[2 * to + 1] = hi;
    }
    const t = keys;
    keys = spare;
    spare = t;
  }
  for (let i = 0; i < n; i++) {
    const hi = keys[2 * i + 1]!;
    if (hi & 0x80000000) {
      keys[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    } else {
      keys[2 * i] = ~keys[2 * i]! >>> 0;
      keys[2 * i + 1] = ~hi >>> 0;
    }
  }
  return new Float64Array(keys.buffer, keys.byteOffset, n);
}
