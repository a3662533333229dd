/**
 * Hyperparameter sweeps, the pure part: the sweep file's schema (a training job plus a `sweep`
 * section), the trials a search space expands to (grid, or random with seeded sampling), and the
 * median stopping rule. Pure and deterministic, so the `hyperparameterSweep` workflow computes the
 * same trials on every replay.
 */
import { z } from 'zod';
import { trainingJobSpecSchema } from './training-job-spec';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const uniformParam = z
  .object({
    type: z.literal('uniform'),
    min: finite,
    max: finite,
    gridPoints: z.number().int().min(2).max(1000).optional().describe('Grid search: evenly spaced values'),
  })
  .strict();
const logUniformParam = z
  .object({
    type: z.literal('loguniform'),
    min: finite.refine((v) => v > 0, 'must be > 0 (log scale)'),
    max: finite,
    gridPoints: z.number().int().min(2).max(1000).optional().describe('Grid search: evenly spaced in log space'),
  })
  .strict();
const intParam = z
  .object({
    type: z.literal('int'),
    min: z.number().int(),
    max: z.number().int(),
    step: z.number().int().positive().default(1),
  })
  .strict();
const choiceParam = z
  .object({
    type: z.literal('choice'),
    values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1),
  })
  .strict();

export const paramSpaceSchema = z
  .discriminatedUnion('type', [uniformParam, logUniformParam, intParam, choiceParam])
  .superRefine((p, ctx) => {
    if (p.type !== 'choice' && !(p.min < p.max))
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be > min' });
  });

export type ParamSpace = z.infer<typeof paramSpaceSchema>;
export type SearchSpace = Record<string, ParamSpace>;
export type Direction = 'maximize' | 'minimize';

export const sweepSectionSchema = z
  .object({
    algorithm: z.enum(['grid', 'random']).describe('grid: every combination; random: seeded samples'),
    seed: z.number().int().min(0).default(0).describe('Random search: the same seed gives the same trials'),
    maxTrials: z.number().int().min(1).max(1000).optional().describe('Required for random; caps a grid'),
    parallelism: z.number().int().min(1).max(100).default(2).describe('Trials running at once'),
    objective: z
      .object({
        metric: z.string().min(1).describe('A final metric of the job, e.g. val_auc'),
        direction: z.enum(['maximize', 'minimize']),
      })
      .strict(),
    earlyStopping: z
      .object({
        rule: z.literal('median'),
        /** The intermediate metric judged; defaults to the objective metric. */
        metric: z.string().min(1).optional(),
        minSteps: z.number().int().min(1).default(5).describe('No trial is stopped before this step'),
        minTrials: z.number().int().min(1).default(3).describe('Peers that reached the step before judging'),
      })
      .strict()
      .optional(),
    space: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a param name'), paramSpaceSchema)
      .refine((s) => Object.keys(s).length > 0, 'needs at least one param'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.algorithm === 'random' && s.maxTrials === undefined)
      ctx.addIssue({ code: 'custom', path: ['maxTrials'], message: 'required for random search' });
    if (s.algorithm === 'grid') {
      for (const [name, p] of Object.entries(s.space)) {
        if ((p.type === 'uniform' || p.type === 'loguniform') && p.gridPoints === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['space', name, 'gridPoints'],
            message: 'required for a continuous param in grid search',
          });
      }
      const size = gridSize(s.space);
      if (size > 10_000)
        ctx.addIssue({ code: 'custom', path: ['space'], message: `the grid has ${size} points; at most 10000` });
    }
  });

export type SweepSection = z.infer<typeof sweepSectionSchema>;

/** A sweep file: a training job (fixed `params`) plus the `sweep` section. */
export const sweepSpecSchema = z.object({ ...trainingJobSpecSchema.shape, sweep: sweepSectionSchema }).strict();

export type SweepSpec = z.infer<typeof sweepSpecSchema>;

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

function gridSize(space: SearchSpace): number {
  return Object.values(space).reduce(
    (n, p) =>
      n *
      (p.type === 'int'
        ? Math.floor((p.max - p.min) / (p.step ?? 1)) + 1
        : p.type === 'choice'
          ? p.values.length
          : (p.gridPoints ?? 2)),
    1,
  );
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

/** mulberry32: a small, well-mixed 32-bit generator; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
