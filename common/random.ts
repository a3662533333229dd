/** Seeded pseudo-random numbers: the same seed gives the same sequence everywhere (pure: safe in workflow code). */

/** mulberry32: a small, fast, well-mixed 32-bit generator of numbers in [0, 1), from its raw state. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 with the seed mixed first, so small seeds (1, 2, 3…) start far apart. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed ^ 0x9e3779b9);
}
