/**
 * Hyperparameter sweeps, the plan: the trials a search space expands to (grid, or random with
 * seeded sampling), the median stopping rule and objective comparison. Pure and deterministic, so
 * the `hyperparameterSweep` workflow computes the same trials on every replay; free of zod (the
 * schemas are in ./schemas/sweep.ts), because every new workflow run evaluates the modules its bundle imports.
 */
import { seededRandom } from './random';
import type { Direction, ParamSpace, SweepSection } from './schemas/sweep';

/** The values a param takes in a grid. */
export function gridValues(p: ParamSpace): unknown[] {
  switch (p.type) {
    case 'choice':
      return p.values;
    case 'int': {
      const out: number[] = [];
      for (let v = p.min; v <= p.max; v += p.step) out.push(v);
      return out;
    }
    case 'uniform':
    case 'loguniform': {
      const n = p.gridPoints ?? 2;
      return Array.from({ length: n }, (_, i) => {
        const t = i / (n - 1);
        const v =
          p.type === 'uniform'
            ? p.min + t * (p.max - p.min)
            : Math.exp(Math.log(p.min) + t * (Math.log(p.max) - Math.log(p.min)));
        return tidy(v);
      });
    }
  }
}

/**
 * The params of each trial (in trial order, trial k = index + 1): the grid's combinations (first
 * param varying slowest, capped at `maxTrials`), or `maxTrials` seeded random samples.
 */
export function sweepTrials(sweep: SweepSection): Record<string, unknown>[] {
  const names = Object.keys(sweep.space).sort();
  if (sweep.algorithm === 'grid') {
    let combos: Record<string, unknown>[] = [{}];
    for (const name of names) {
      const values = gridValues(sweep.space[name]!);
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
    }
    return combos.slice(0, sweep.maxTrials ?? combos.length);
  }
  const random = seededRandom(sweep.seed);
  return Array.from({ length: sweep.maxTrials ?? 1 }, () =>
    Object.fromEntries(names.map((name) => [name, sample(sweep.space[name]!, random)])),
  );
}

function sample(p: ParamSpace, random: () => number): unknown {
  const u = random();
  switch (p.type) {
    case 'uniform':
      return tidy(p.min + u * (p.max - p.min));
    case 'loguniform':
      return tidy(Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min))));
    case 'int': {
      const count = Math.floor((p.max - p.min) / p.step) + 1;
      return p.min + Math.min(count - 1, Math.floor(u * count)) * p.step;
    }
    case 'choice':
      return p.values[Math.min(p.values.length - 1, Math.floor(u * p.values.length))];
  }
}

/** Six significant digits: readable params, still far finer than any sensible search needs. */
function tidy(v: number): number {
  return Number(v.toPrecision(6));
}

export interface CurvePoint {
  step: number;
  value: number;
}

export interface MedianStoppingOptions {
  direction: Direction;
  /** No decision before the trial reached this step. */
  minSteps: number;
  /** Peers that reached the trial's step needed for a decision. */
  minTrials: number;
}

export interface MedianStoppingDecision {
  stop: boolean;
  /** The step judged (the trial's latest). */
  step: number;
  /** The trial's best objective up to `step`. */
  best: number;
  /** The median of the peers' running averages up to `step`. */
  median: number;
  /** Peers that reached `step`. */
  peers: number;
}

/**
 * The median stopping rule: a trial is stopped at its latest step s (s ≥ minSteps) when its best
 * value so far is worse than the median of the running averages, up to step s, of the other trials
 * that reached step s (at least `minTrials` of them). Undefined when there is nothing to decide yet.
 * Non-finite values are ignored; a curve may repeat a step (a retried write): the last one counts.
 */
export function medianStoppingDecision(
  own: readonly CurvePoint[],
  peers: readonly (readonly CurvePoint[])[],
  options: MedianStoppingOptions,
): MedianStoppingDecision | undefined {
  const mine = cleanCurve(own);
  const last = mine.at(-1);
  if (last === undefined || last.step < options.minSteps) return undefined;
  const step = last.step;
  const better = (a: number, b: number) => (options.direction === 'maximize' ? a > b : a < b);
  const best = mine.reduce((b, p) => (better(p.value, b) ? p.value : b), mine[0]!.value);
  const averages: number[] = [];
  for (const peer of peers) {
    const curve = cleanCurve(peer);
    if ((curve.at(-1)?.step ?? -Infinity) < step) continue;
    const upTo = curve.filter((p) => p.step <= step);
    if (upTo.length === 0) continue;
    averages.push(upTo.reduce((s, p) => s + p.value, 0) / upTo.length);
  }
  if (averages.length < options.minTrials) return undefined;
  const median = medianOf(averages);
  return { stop: better(median, best), step, best, median, peers: averages.length };
}

/** Finite points, one per step (the last written), in step order. */
function cleanCurve(points: readonly CurvePoint[]): CurvePoint[] {
  const byStep = new Map<number, number>();
  for (const p of points) if (Number.isFinite(p.value) && Number.isFinite(p.step)) byStep.set(p.step, p.value);
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }));
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Whether `a` is a better objective value than `b` (non-finite values are never better). */
export function isBetter(a: number | undefined, b: number | undefined, direction: Direction): boolean {
  if (a === undefined || !Number.isFinite(a)) return false;
  if (b === undefined || !Number.isFinite(b)) return true;
  return direction === 'maximize' ? a > b : a < b;
}
