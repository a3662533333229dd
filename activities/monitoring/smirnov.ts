/**
 * The one-sided Kolmogorov-Smirnov (Smirnov) tail P(D⁺_n ≥ x), as SciPy's `smirnov`, which the
 * two-sided distribution (./kolmogorov.ts) doubles for large n·x²: the KS p-value of two samples of
 * 10⁵ to 10⁶ rows comes from here. Written by hand to follow SciPy’s choice of method, so results agree.
 * SciPy sums its up to 10⁶ terms in double-double arithmetic (and takes seconds at n = 10⁶); here
 * each term is rewritten so that plain doubles keep it exact to a few ulps of its logarithm (see
 * `logTerm`) and the terms are added with a compensated sum, which agrees with SciPy to about 1e-14
 * relative at n = 10⁴ to 10⁶ (the SciPy fixtures check 1e-12) at the cost of the plain sum.
 */

const EPS = 2.220446049250313e-16;
/** exp() of anything below this underflows even to a subnormal: ln 2^-1075, SciPy's cephes MINLOG. */
const CEPHES_MINLOG = -745.1332191019412;
/** Above this n the tail uses its asymptotic form (as SciPy). */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
/** ln √(2π). */
const LOG_SQRT_2PI = 0.9189385332046728;
/**
 * Beyond this |s| (|u| above 0.25 to 0.33) ln(1 + u) − u is taken as written: its cancellation
 * costs a few ulps at most there.
 */
const ATANH_SERIES_MAX = 1 / 7;
/** 1/3, 1/5, …, 1/21: the atanh series as far as |s| ≤ 1/7 needs it (s^21 < 1e-17). */
const ATANH_COEFFICIENTS = Array.from({ length: 10 }, (_, k) => 1 / (2 * k + 3));
/**
 * (1 − x − v/n)^(n−v) is taken from the exact n − v − ⌊n·x⌋ − alpha once n − v is below this many
 * times n·x (1 − x − v/n below a third of 1 − v/n), where a/(n−v) rounded would lose its digits.
 */
const LOWER_EXACT_FROM = 1.5;
/**
 * δ(k) = ln k! − (k + ½) ln k + k − ln √(2π) for k = 0 … 15 (δ(0) unused), from ln k! in 50-digit
 * decimal arithmetic and rounded to double.
 */
const STIRLING_REST_TABLE = [
  0, 0.08106146679532726, 0.0413406959554093, 0.02767792568499834, 0.020790672103765093, 0.016644691189821193,
  0.013876128823070748, 0.01189670994589177, 0.010411265261972096, 0.009255462182712733, 0.00833056343336287,
  0.007573675487951841, 0.00694284010720953, 0.006408994188004207, 0.0059513701127588475, 0.005554733551962801,
];

const clip = (p: number): number => Math.min(1, Math.max(0, p));

/**
 * P(D⁺_n ≥ x), the one-sided Smirnov tail, by the Birnbaum-Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1), each term taken in logarithms
 * (see `logTerm` for how the parts of size n cancel before rounding) and the terms added with a
 * compensated sum, from the middle of the range outwards until the rest cannot change the result.
 * NaN unless n is a whole number of observations and x is in [0, 1].
 */
export function smirnovSurvival(n: number, x: number): number {
  if (!(Number.isInteger(n) && n > 0 && x >= 0 && x <= 1)) return Number.NaN;
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
  const sum = new CompensatedSum();
  sum.add(Math.exp(n * Math.log1p(-x) - Math.log(x)));
  const terms: TermContext = {
    n,
    a: n * x,
    nxfl,
    alpha,
    logConstant: 1.5 * Math.log(n) - LOG_SQRT_2PI + stirlingRest(n),
  };
  // outwards from the middle of the range, so that a narrow peak stops both ways early
  const middle = Math.min(nTerms - 1, Math.max(1, Math.round((n - terms.a) / 2)));
  addWhileSignificant(sum, terms, middle, nTerms - 1, 1);
  addWhileSignificant(sum, terms, middle - 1, 1, -1);
  return clip(x * sum.value());
}

interface TermContext {
  n: number;
  /** n·x (rounded), and its exact split ⌊n·x⌋ + alpha. */
  a: number;
  nxfl: number;
  alpha: number;
  /** 1.5 ln n − ln √(2π) + δ(n), the part of every term's logarithm that does not depend on v. */
  logConstant: number;
}

/**
 * Adds the terms from `from` to `to` (stepping by `step`, ±1) until they have started to fall and
 * all those left, each at most the last one, are below a quarter of an ulp of the sum: the terms
 * rise to one peak and fall after it.
 */
function addWhileSignificant(sum: CompensatedSum, c: TermContext, from: number, to: number, step: 1 | -1): void {
  // no term before the first: the comparison below is false until a second one
  let previous = Number.NaN;
  for (let v = from; step > 0 ? v <= to : v >= to; v += step) {
    const term = Math.exp(logTerm(c, v));
    sum.add(term);
    const left = Math.abs(to - v);
    if (term < previous && 4 * left * term < EPS * sum.value()) return;
    previous = term;
  }
}

/**
 * ln [C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1)] for 1 ≤ v < n − n·x, with a = n·x:
 *   ln C(n, v) + (n−v) ln((n − v − a)/n) + (v−1) ln((a + v)/n).
 * Taken as written, the three parts are each of size n (up to 7·10⁵ at n = 10⁶) and cancel to a few
 * units, so their rounding (1e-16 of 7·10⁵) costs 1e-10 of every term. Writing ln k! by Stirling,
 * (k + ½) ln k − k + ln √(2π) + δ(k), the parts of size n cancel exactly on paper and leave
 *   1.5 ln n − ln √(2π) + δ(n) − δ(v) − δ(n−v) − ½ ln(v (n−v) (a+v)²)
 *     + (n−v) log1pmx(−a/(n−v)) + v log1pmx(a/v),
 * with log1pmx(u) = ln(1 + u) − u; the two ±a left by log1pmx cancel on paper too. Every part left is
 * at most about the size of the result's own logarithm, so each term is exact to a few ulps of
 * that logarithm (as exact as exp of it can be).
 */
function logTerm(c: TermContext, v: number): number {
  const { n, a } = c;
  const rest = n - v;
  const upper = a + v;
  const lowerPower =
    rest > a * LOWER_EXACT_FROM ? scaledLog1pmx(-a, rest) : rest * Math.log((rest - c.nxfl - c.alpha) / rest) + a;
  return (
    c.logConstant -
    stirlingRest(v) -
    stirlingRest(rest) -
    0.5 * Math.log(v * rest * upper * upper) +
    lowerPower +
    scaledLog1pmx(a, v)
  );
}

/**
 * w · log1pmx(c/w), with log1pmx(u) = ln(1 + u) − u, without the cancellation of the difference
 * for small |u| = |c/w|: with s = u/(2 + u) = c/(2w + c), ln(1 + u) = 2 atanh(s) = 2(s + s³/3 + …)
 * and 2s − u = −u·s, so w · log1pmx(u) = −c·s + 2w·s³(1/3 + s²/5 + …), the series cut where its
 * next term is below 1e-17 of the result (about 2w·s²).
 */
function scaledLog1pmx(c: number, w: number): number {
  const s = c / (2 * w + c);
  const abs = Math.abs(s);
  if (abs > ATANH_SERIES_MAX) return w * Math.log1p(c / w) - c;
  const s2 = s * s;
  // the first term left out, relative to the result, is below s^(2m+1)
  const m = abs < 1e-3 ? 3 : abs < 1e-2 ? 4 : abs < 0.05 ? 7 : ATANH_COEFFICIENTS.length;
  let series = 0;
  for (let k = m - 1; k >= 0; k--) series = series * s2 + ATANH_COEFFICIENTS[k]!;
  return -c * s + 2 * w * s * s2 * series;
}

/**
 * δ(k) = ln k! − (k + ½) ln k + k − ln √(2π), the rest of Stirling's formula: from the table below
 * 16, else its asymptotic series, whose first omitted term is below 1.2e-16 from there on.
 */
function stirlingRest(k: number): number {
  if (k < STIRLING_REST_TABLE.length) return STIRLING_REST_TABLE[k]!;
  const r = 1 / k;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))));
}

/**
 * Neumaier's compensated sum: the rounding error of every addition is kept apart and added at the
 * end, so a million terms sum to within an ulp or two instead of up to 10⁶ of them.
 */
class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(term: number): void {
    const t = this.sum + term;
    this.compensation += Math.abs(this.sum) >= Math.abs(term) ? this.sum - t + term : term - t + this.sum;
    this.sum = t;
  }

  value(): number {
    return this.sum + this.compensation;
  }
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
