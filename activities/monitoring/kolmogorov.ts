/**
 * The distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n, as SciPy's
 * `kstwo` computes it (Simard & L'Ecuyer 2011: which method where): Ruben-Gambino closed forms at
 * the ends, the Durbin matrix (Marsaglia-Tsang-Wang) and the Pomeranz recursion for small n·x²,
 * twice the one-sided Smirnov tail (Birnbaum-Tingey sum) for large n·x², and the Pelz-Good
 * expansion in between for large n. The two-sample test's asymptotic p-value is
 * `kolmogorovSurvival(d, round(n1·n2 / (n1 + n2)))`.
 */
import { smirnovSurvival } from './smirnov';

const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const MIN_LOG = -708;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const STIRLING = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clip = (p: number): number => Math.min(1, Math.max(0, p));

/** P(D_n ≥ x) for the two-sided one-sample statistic with n observations (SciPy `kstwo.sf`). */
export function kolmogorovSurvival(x: number, n: number): number {
  if (!Number.isInteger(n) || n < 1 || Number.isNaN(x)) return Number.NaN;
  // outside the open support (0.5/n, 1)
  if (x <= 0.5 / n) return 1;
  if (x >= 1) return 0;
  const t = n * x;
  if (t <= 1) {
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSurvival(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) return clip(1 - durbinCdf(n, x));
    if (nxx <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSurvival(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip(2 * smirnovSurvival(n, x));
  const cdf = n <= 100000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

/** ln(n! / n^n) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** P(D_n ≤ d) by the Durbin matrix: the (k, k) entry of H^n, scaled by n!/n^n. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  let P: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] = H[i]! / EP128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return clip(p);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return out;
}

/** [j1, j2] of row i of the Pomeranz recursion. */
function pomeranzRow(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n ≤ x) by the Pomeranz recursion (used for n ≤ 140). */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  const gn = g / n;
  const g2n = (2 * g) / n;
  const om2gn = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gn) / m;
    twogpower[m] = (twogpower[m - 1]! * g2n) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * om2gn) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1, j2] = pomeranzRow(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzRow(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // full convolution of V0[k1 − V0s …] (as much as there is) with pwrs[0 … ln2)
      const start = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - start));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      for (let r = 0; r < convLen; r++) {
        const idx = convStart + r;
        let s = 0;
        const lo = Math.max(0, idx - bLen + 1);
        const hi = Math.min(idx, aLen - 1);
        for (let a = lo; a <= hi; a++) s += V0[start + a]! * pwrs[idx - a]!;
        V1[r] = s;
      }
      let max = -Infinity;
      for (let r = 0; r < npwrs; r++) if (V1[r]! > max) max = V1[r]!;
      if (max > 0 && max < EM128) {
        for (let r = 0; r < npwrs; r++) V1[r] = V1[r]! * EP128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans *= 2 ** expnt;
  return clip(ans);
}

/** P(D_n ≤ x) by the Pelz-Good asymptotic expansion (large n). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K[0] = K[0]! * qp + 1;
    K[1] = K[1]! * qp + (k1a + k1b * m2);
    K[2] = K[2]! * qp + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3]! * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const ksq = k * k;
    const qk = q ** ksq;
    k2extra += ksq * qk;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qk;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] = K[3]! + (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}
