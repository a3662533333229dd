/**
 * Sorting for the drift statistics: the finite values of a column, ascending, in a new
 * Float64Array. Large columns are sorted by an LSD radix sort on the IEEE-754 bit patterns (four
 * 16-bit passes, linear time), which is several times faster than a comparison sort at a million
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

/** Sorts `data` ascending (no NaN expected) and returns it; -0 sorts before +0, which compare equal. */
function radixSort(data: Float64Array): Float64Array {
  const n = data.length;
  let keys: Uint32Array = new Uint32Array(data.buffer, data.byteOffset, 2 * n);
  let spare: Uint32Array = new Uint32Array(2 * n);
  // order-preserving map from doubles to unsigned 64-bit keys: flip the sign bit of positives,
  // every bit of negatives
  const counts = new Uint32Array(4 * 65536);
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
    counts[lo & 0xffff]!++;
    counts[65536 + (lo >>> 16)]!++;
    counts[131072 + (hi & 0xffff)]!++;
    counts[196608 + (hi >>> 16)]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 65536;
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    // a digit every key shares moves nothing
    let skip = false;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[base + d]!;
      if (c === n) skip = true;
      counts[base + d] = sum;
      sum += c;
    }
    if (skip) continue;
    for (let i = 0; i < n; i++) {
      const digit = (keys[2 * i + word]! >>> shift) & 0xffff;
      const to = counts[base + digit]!++;
      spare[2 * to] = keys[2 * i]!;
      spare[2 * to + 1] = keys[2 * i + 1]!;
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
