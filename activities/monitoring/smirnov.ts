/**
 * The one-sided Kolmogorov-Smirnov (Smirnov) tail P(D⁺_n ≥ x), as SciPy's `smirnov`, which the
 * two-sided distribution (./kolmogorov.ts) doubles for large n·x².
 */

const EPS = 2.220446049250313e-16;
/** exp() of anything below this underflows even to a subnormal: ln 2^-1075, SciPy's cephes MINLOG. */
const CEPHES_MINLOG = -745.1332191019412;
/** Above this n the tail uses its asymptotic form (as SciPy). */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;

const clip = (p: number): number => Math.min(1, Math.max(0, p));

/**
 * P(D⁺_n ≥ x), the one-sided Smirnov tail, by the Birnbaum-Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1), its terms taken in logarithms.
 */
export function smirnovSurvival(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nxfl, alpha] = floorAndFraction(n, x);
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x ≤ 1/n: cdf = x (1 + x)^(n−1)
    return clip(1 - x * Math.exp((n - 1) * Math.log1p(x)));
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return Math.exp(n * Math.log1p(-x));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // v runs to ⌊n(1 − x)⌋, less the last term when n·x is an integer (it is 0): n − ⌊n·x⌋ terms
  const nTerms = n - nxfl;
  const logN = Math.log(n);
  const logX = Math.log(x);
  let sum = Math.exp(n * Math.log1p(-x) - logX);
  let logBinom = 0;
  const vmid = Math.floor(n / 2);
  for (let v = 1; v < nTerms; v++) {
    logBinom += Math.log((n - v + 1) / v);
    // 1 − x − v/n = (n − v − n·x)/n and x + v/n = (n·x + v)/n, with n·x split exactly
    const lower = Math.log(n - v - nxfl - alpha) - logN;
    const upper = Math.log(nxfl + v + alpha) - logN;
    const term = Math.exp(logBinom + (n - v) * lower + (v - 1) * upper);
    if (Number.isFinite(term) && term !== 0) sum += term;
    if (term !== 0) {
      if (4 * (nTerms - v) * Math.abs(term) < EPS * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
  }
  return clip(x * sum);
}

/** ⌊n·x⌋ and the fractional part of n·x, computed from the exact product. */
function floorAndFraction(n: number, x: number): [number, number] {
  const hi = n * x;
  const lo = exactProductError(n, x, hi);
  let fl = Math.floor(hi);
  let frac = hi - fl + lo;
  if (frac < 0) {
    fl -= 1;
    frac += 1;
  }
  if (frac >= 1) {
    fl += 1;
    frac -= 1;
  }
  return [fl, frac];
}

/** The rounding error of the product a·b = p (Dekker's two-product by splitting). */
function exactProductError(a: number, b: number, p: number): number {
  const split = (v: number): [number, number] => {
    const c = 134217729 * v;
    const high = c - (c - v);
    return [high, v - high];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ah * bh - p + ah * bl + al * bh + al * bl;
}
