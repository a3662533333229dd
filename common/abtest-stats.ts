/**
 * Online A/B tests, the statistics: a conversion-style metric (successes out of trials) compared
 * between arm A (control) and arm B (treatment). Three parts:
 * - `twoProportionZTest`: the fixed-horizon test, valid when read once, at the planned sample size;
 * - `msprt` and `SequentialAbTest`: the mixture sequential probability ratio test, whose
 *   always-valid p-value may be read at every analysis and stop the test early without inflating
 *   the false positive rate;
 * - `decideAbTest`: what the `abTest` workflow concludes at one analysis.
 * The standard normal CDF and quantile are implemented here. Pure and deterministic (no I/O, no
 * Node built-ins), so workflow code may import it.
 */
import { InvalidArgumentError } from './failures';

/** One arm's counts so far (cumulative). */
export interface Proportion {
  successes: number;
  trials: number;
}

/** `greater`: B's rate is higher than A's; `less`: lower. */
export type Alternative = 'two-sided' | 'greater' | 'less';

const SQRT_2PI = Math.sqrt(2 * Math.PI);
/** Beyond this |x| the continued fraction converges fast and the series would lose tail precision. */
const CONTINUED_FRACTION_FROM = 3;

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * Standard normal CDF Φ(x), accurate to about 1e-15: the power series of Φ(x) − ½ for |x| ≤ 3 (its
 * terms share x's sign, so nothing cancels) and Laplace's continued fraction for the tails, which
 * keeps small tail probabilities (tiny p-values) to full relative precision.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < -CONTINUED_FRACTION_FROM) return upperTail(-x);
  if (x > CONTINUED_FRACTION_FROM) return 1 - upperTail(x);
  // Φ(x) = ½ + φ(x) · Σₖ x^(2k+1) / (1·3·5·…·(2k+1))
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term *= x2 / (2 * k + 1);
    sum += term;
  }
  return 0.5 + normalPdf(x) * sum;
}

/** 1 − Φ(x) for x > 3: φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))), evaluated from a fixed depth inwards. */
function upperTail(x: number): number {
  if (x === Infinity) return 0;
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / fraction;
  return normalPdf(x) / fraction;
}

/**
 * The standard normal quantile Φ⁻¹(p) (−∞ at 0, +∞ at 1, NaN outside [0, 1]): the rational start of
 * Abramowitz & Stegun 26.2.23 (error < 4.5e-4), polished by Halley's method on `normalCdf`, solved in
 * the lower tail so that p near 1 keeps its precision.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = Math.min(p, 1 - p); // exact for p ≥ ½
  const t = Math.sqrt(-2 * Math.log(q));
  let x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  for (let i = 0; i < 10; i++) {
    const density = normalPdf(x);
    if (density === 0) break;
    const e = (normalCdf(x) - q) / density;
    const step = e / (1 + (x * e) / 2);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return p < 0.5 ? x : -x;
}

export interface ZTestOptions {
  /** Significance level; the interval is at 1 − alpha. @default 0.05 */
  alpha?: number;
  /** @default 'two-sided' */
  alternative?: Alternative;
}

export interface ZTestResult {
  pA: number;
  pB: number;
  /** (pB − pA) / pA; undefined when pA = 0. */
  lift: number | undefined;
  /** pB − pA. */
  difference: number;
  /** The pooled standard error of the difference (under "no difference"), used for z. */
  standardError: number;
  z: number;
  pValue: number;
  /**
   * Wald interval for pB − pA with the unpooled standard error, clipped to [−1, 1]; one-sided
   * alternatives get the matching one-sided bound. Degenerate when both arms are at 0% or 100%.
   */
  confidenceInterval: [number, number];
  /** pValue < alpha. */
  significant: boolean;
}

/** The two-proportion z-test of B's rate against A's, read once at a fixed horizon. */
export function twoProportionZTest(a: Proportion, b: Proportion, options: ZTestOptions = {}): ZTestResult {
  checkProportion('a', a);
  checkProportion('b', b);
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const alternative = options.alternative ?? 'two-sided';
  const { pA, pB, difference, pooledVariance, unpooledVariance } = moments(a, b);
  const standardError = Math.sqrt(pooledVariance);
  // the pooled variance is 0 only when both arms are all successes or all failures: no difference
  const z = standardError > 0 ? difference / standardError : difference === 0 ? 0 : Math.sign(difference) * Infinity;
  const pValue =
    alternative === 'two-sided'
      ? Math.min(1, 2 * normalCdf(-Math.abs(z)))
      : normalCdf(alternative === 'greater' ? -z : z);
  const se = Math.sqrt(unpooledVariance);
  let confidenceInterval: [number, number];
  if (alternative === 'two-sided') {
    const half = normalQuantile(1 - alpha / 2) * se;
    confidenceInterval = [clip(difference - half), clip(difference + half)];
  } else {
    const bound = normalQuantile(1 - alpha) * se;
    confidenceInterval = alternative === 'greater' ? [clip(difference - bound), 1] : [-1, clip(difference + bound)];
  }
  return {
    pA,
    pB,
    lift: pA > 0 ? difference / pA : undefined,
    difference,
    standardError,
    z,
    pValue,
    confidenceInterval,
    significant: pValue < alpha,
  };
}

export interface MsprtOptions {
  /** The test stops (decides) when the likelihood ratio reaches 1 / alpha. @default 0.05 */
  alpha?: number;
  /** Variance τ² of the normal mixing distribution over pB − pA. @default priorEffect² */
  tau?: number;
  /** A typical absolute difference pB − pA (0.05 = 5 points), setting the default `tau`. @default 0.05 */
  priorEffect?: number;
}

export interface MsprtResult {
  /** The mixture likelihood ratio of "pB − pA ~ N(0, τ²)" against "no difference". */
  lambda: number;
  /** The always-valid p-value at this look, min(1, 1 / lambda); callers keep the running minimum. */
  pValue: number;
  /** lambda ≥ 1 / alpha. */
  decide: boolean;
}

/**
 * The mixture SPRT (mSPRT, Johari et al., "Always valid inference") at one look. The difference d of
 * the sample rates is taken as normal with variance v (pooled, as under "no difference"); mixing the
 * likelihood ratio over pB − pA ~ N(0, τ²) gives Λ = √(v / (v + τ²)) · exp(d² τ² / (2 v (v + τ²))).
 * 1/Λ stays below alpha at any look with probability at most alpha when there is no difference.
 */
export function msprt(a: Proportion, b: Proportion, options: MsprtOptions = {}): MsprtResult {
  checkProportion('a', a);
  checkProportion('b', b);
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const tau = mixingVariance(options);
  const { difference, pooledVariance: v } = moments(a, b);
  // both arms at 0% or 100%: the variance estimate carries no information yet
  if (v === 0) return { lambda: 1, pValue: 1, decide: false };
  const logLambda = 0.5 * Math.log(v / (v + tau)) + (difference * difference * tau) / (2 * v * (v + tau));
  const lambda = Math.exp(logLambda);
  return { lambda, pValue: Math.min(1, Math.exp(-logLambda)), decide: lambda >= 1 / alpha };
}

/**
 * The always-valid confidence interval for pB − pA that goes with `msprt` (the differences the test
 * would not reject at this look): d ± √(v (v + τ²) / τ² · (2 ln(1/alpha) + ln((v + τ²) / v))), with
 * the unpooled variance v, clipped to [−1, 1]. Valid at any look, so also where the test stopped.
 */
export function msprtConfidenceInterval(a: Proportion, b: Proportion, options: MsprtOptions = {}): [number, number] {
  checkProportion('a', a);
  checkProportion('b', b);
  const alpha = checkAlpha(options.alpha ?? 0.05);
  const tau = mixingVariance(options);
  const { difference, unpooledVariance: v } = moments(a, b);
  if (v === 0) return [difference, difference];
  const half = Math.sqrt(((v * (v + tau)) / tau) * (2 * Math.log(1 / alpha) + Math.log((v + tau) / v)));
  return [clip(difference - half), clip(difference + half)];
}

export interface SequentialOptions extends MsprtOptions {
  /** Looks before both arms have this many trials do not count (the normal approximation needs data). @default 100 */
  minTrialsPerArm?: number;
}

/** What a sequential test carries between looks; plain data, so a workflow can keep or pass it on. */
export interface SequentialState {
  looks: number;
  /** The running minimum of the always-valid p-values. */
  pValue: number;
  /** Set at the look that stopped the test; later looks change nothing. */
  winner?: 'A' | 'B';
}

export interface SequentialLook {
  /** The running minimum of the always-valid p-values. */
  pValue: number;
  stop: boolean;
  winner?: 'A' | 'B';
}

/** An mSPRT over repeated looks at cumulative counts: stops, for good, once the running p-value ≤ alpha. */
export class SequentialAbTest {
  private current: SequentialState;

  constructor(
    private readonly options: SequentialOptions = {},
    state?: SequentialState,
  ) {
    checkAlpha(options.alpha ?? 0.05);
    mixingVariance(options);
    this.current = state ? { ...state } : { looks: 0, pValue: 1 };
  }

  /** One look at the cumulative counts of A and B. */
  look(a: Proportion, b: Proportion): SequentialLook {
    if (this.current.winner !== undefined)
      return { pValue: this.current.pValue, stop: true, winner: this.current.winner };
    checkProportion('a', a);
    checkProportion('b', b);
    this.current.looks += 1;
    const minTrials = this.options.minTrialsPerArm ?? 100;
    if (a.trials >= minTrials && b.trials >= minTrials) {
      const { pValue } = msprt(a, b, this.options);
      this.current.pValue = Math.min(this.current.pValue, pValue);
      if (this.current.pValue <= (this.options.alpha ?? 0.05))
        this.current.winner = b.successes / b.trials > a.successes / a.trials ? 'B' : 'A';
    }
    const { pValue, winner } = this.current;
    return winner === undefined ? { pValue, stop: false } : { pValue, stop: true, winner };
  }

  /** A copy of the state, to resume with `new SequentialAbTest(options, state)`. */
  get state(): SequentialState {
    return { ...this.current };
  }
}

export interface AbTestDecisionInput {
  control: Proportion;
  treatment: Proportion;
  alpha: number;
  method: 'fixed-horizon' | 'sequential';
  /** The planned duration or sample size is reached: a fixed-horizon test is read now, a sequential one ends. */
  horizonReached: boolean;
  /** The state returned by the previous analysis (sequential only). */
  sequentialState?: SequentialState;
  /** `tau`, `priorEffect`, `minTrialsPerArm` of the sequential test (its `alpha` is the one above). */
  sequential?: Omit<SequentialOptions, 'alpha'>;
}

export interface AbTestDecision {
  winner: 'control' | 'treatment' | 'none';
  /** The test is over: a winner, or the horizon reached without one. */
  done: boolean;
  lift: number | undefined;
  difference: number;
  /** For treatment − control: Wald (fixed horizon) or always-valid (sequential), at 1 − alpha. */
  confidenceInterval: [number, number];
  /** Two-sided z-test p-value (fixed horizon) or the running always-valid p-value (sequential). */
  pValue: number;
  /** One sentence with the numbers. */
  reason: string;
  /** Pass back as `sequentialState` at the next analysis (sequential only). */
  sequentialState?: SequentialState;
}

/** The conclusion of one analysis of an A/B test (two-sided: either arm may win). */
export function decideAbTest(input: AbTestDecisionInput): AbTestDecision {
  const { control, treatment, alpha, method, horizonReached } = input;
  checkAlpha(alpha);
  const counts = `treatment ${rate(treatment)} vs control ${rate(control)}`;
  if (control.trials === 0 || treatment.trials === 0) {
    checkProportion('control', control, true);
    checkProportion('treatment', treatment, true);
    const empty = control.trials === 0 ? 'control' : 'treatment';
    return {
      winner: 'none',
      done: horizonReached,
      lift: undefined,
      difference: 0,
      confidenceInterval: [-1, 1],
      pValue: 1,
      reason: `${horizonReached ? 'No winner: the horizon was reached' : 'Waiting'} with no trials in the ${empty} arm (${counts}).`,
      sequentialState: input.sequentialState,
    };
  }
  const z = twoProportionZTest(control, treatment, { alpha });
  const base = { lift: z.lift, difference: z.difference };
  const effect = `${counts}, lift ${signedPct(z.lift)}, difference ${points(z.difference)}`;
  const level = `${Number(((1 - alpha) * 100).toFixed(2))}% CI`;
  if (method === 'fixed-horizon') {
    const interval = `${level} ${points(z.confidenceInterval[0])} to ${points(z.confidenceInterval[1])}`;
    const stats = `${effect} (${interval}), z = ${z.z.toFixed(2)}, p = ${pValue(z.pValue)}`;
    const winner = horizonReached && z.significant ? (z.difference > 0 ? 'treatment' : 'control') : 'none';
    const reason = !horizonReached
      ? `Horizon not reached, not read yet (an early read would inflate false positives): ${stats}.`
      : winner === 'none'
        ? `No winner at the horizon: ${stats} ≥ alpha ${alpha}.`
        : `The ${winner} wins at the horizon: ${stats} < alpha ${alpha} (two-proportion z-test).`;
    return {
      winner,
      done: horizonReached,
      ...base,
      confidenceInterval: z.confidenceInterval,
      pValue: z.pValue,
      reason,
    };
  }
  const options = { ...input.sequential, alpha };
  const test = new SequentialAbTest(options, input.sequentialState);
  const look = test.look(control, treatment);
  const confidenceInterval = msprtConfidenceInterval(control, treatment, options);
  const interval = `always-valid ${level} ${points(confidenceInterval[0])} to ${points(confidenceInterval[1])}`;
  const stats = `${effect} (${interval}), always-valid p = ${pValue(look.pValue)}`;
  const looks = `after ${test.state.looks} look${test.state.looks === 1 ? '' : 's'}`;
  const winner = look.winner === 'B' ? 'treatment' : look.winner === 'A' ? 'control' : 'none';
  const reason =
    winner !== 'none'
      ? `The ${winner} wins ${looks}: ${stats} ≤ alpha ${alpha} (mSPRT).`
      : horizonReached
        ? `No winner by the horizon, ${looks}: ${stats} > alpha ${alpha}.`
        : `No decision yet ${looks}: ${stats} > alpha ${alpha}.`;
  return {
    winner,
    done: look.stop || horizonReached,
    ...base,
    confidenceInterval,
    pValue: look.pValue,
    reason,
    sequentialState: test.state,
  };
}

function moments(a: Proportion, b: Proportion) {
  const pA = a.successes / a.trials;
  const pB = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  return {
    pA,
    pB,
    difference: pB - pA,
    pooledVariance: pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials),
    unpooledVariance: (pA * (1 - pA)) / a.trials + (pB * (1 - pB)) / b.trials,
  };
}

function checkProportion(name: string, p: Proportion, allowEmpty = false): void {
  if (!Number.isFinite(p.trials) || p.trials < 0 || (p.trials === 0 && !allowEmpty))
    throw new InvalidArgumentError(`${name}.trials`, `must be a positive number, got ${p.trials}`);
  if (!Number.isFinite(p.successes) || p.successes < 0 || p.successes > p.trials)
    throw new InvalidArgumentError(
      `${name}.successes`,
      `must be between 0 and trials (${p.trials}), got ${p.successes}`,
    );
}

function checkAlpha(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError('alpha', `must be in (0, 1), got ${alpha}`);
  return alpha;
}

function mixingVariance(options: MsprtOptions): number {
  const priorEffect = options.priorEffect ?? 0.05;
  if (!(priorEffect > 0 && priorEffect <= 1))
    throw new InvalidArgumentError('priorEffect', `must be in (0, 1], got ${priorEffect}`);
  const tau = options.tau ?? priorEffect * priorEffect;
  if (!(tau > 0 && Number.isFinite(tau)))
    throw new InvalidArgumentError('tau', `must be a positive number, got ${tau}`);
  return tau;
}

function clip(x: number): number {
  return Math.min(1, Math.max(-1, x));
}

function rate(p: Proportion): string {
  return `${p.trials > 0 ? pct(p.successes / p.trials) : 'n/a'} (${p.successes}/${p.trials})`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function signedPct(x: number | undefined): string {
  return x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

function points(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
}

function pValue(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
