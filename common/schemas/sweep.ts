/**
 * Hyperparameter sweeps: the sweep file's schema (a training job plus a `sweep` section). The
 * trials a search space expands to and the median stopping rule are in ../sweep-plan.ts, which
 * workflow code imports without pulling in zod.
 */
import { z } from 'zod';
import { keyAliases } from './key-aliases';
import { JOB_FILE_ALIASES, paramKeySchema, trainingJobSpecSchema } from './training-job';

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
      .record(paramKeySchema.regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a param name'), paramSpaceSchema)
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

/** Points in the full grid of `space` (the grid's values are in ../sweep-plan.ts). */
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

/** A sweep file: a training job (fixed `params`) plus the `sweep` section. */
export const sweepSpecSchema = z.object({ ...trainingJobSpecSchema.shape, sweep: sweepSectionSchema }).strict();
keyAliases.add(sweepSpecSchema, { aliases: JOB_FILE_ALIASES });

export type SweepSpec = z.infer<typeof sweepSpecSchema>;
