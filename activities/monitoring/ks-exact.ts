/**
 * Exact two-sided p-values of the two-sample Kolmogorov-Smirnov statistic, as SciPy computes them
 * (Hodges 1958; Viehmann 2021 for the numerically stable complement): P(D ≥ h / lcm(n1, n2)) as the
 * share of monotone lattice paths from (0, 0) to (n1, n2) that leave the band |x/n1 − y/n2| < h/lcm.
 */

/** P(D_{n,n} ≥ h/n) for equal sample sizes, by the alternating reflection sum in Horner form. */
export function equalSizeTail(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let a = 1;
    for (let j = 0; j < h; j++) a = ((n - k * h - j) * a) / (n + k * h + j + 1);
    p = a * (1 - p);
  }
  return 2 * p;
}

/**
 * The share of lattice paths to (m, n) that do not stay strictly inside |x·n/g − y·m/g| < h
 * (g = gcd(m, n)): a column-by-column recursion over a sliding window that carries the complement
 * directly, so no large binomial coefficient is ever formed.
 */
export function unequalSizeTail(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      const from = jj + minj - lastminj;
      const prev = from < lenA ? A[from]! : 1;
      val = (prev * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
