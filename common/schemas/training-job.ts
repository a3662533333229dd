/**
 * The training job file (`mlops train <job.yaml>`): what to run, on which data, with which params.
 * Validated with zod; errors name the field path. Paths are relative to the file's folder.
 */
import { z } from 'zod';
import { reservedKeyProblem } from '../reserved-keys';

/**
 * A param's name: any string but a reserved one (`constructor`, `prototype`; `__proto__` never reaches
 * a schema, so the file readers refuse it, and `applyParamOverrides` does).
 */
export const paramKeySchema = z.string().superRefine((key, ctx) => {
  const problem = reservedKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ - (at most 63)');

export const trainingJobSpecSchema = z
  .object({
    name: name.describe('The job name, e.g. churn-train'),
    pipeline: name.describe('Experiments are tracked under this pipeline name'),
    backend: z
      .enum(['local', 'ray'])
      .default('local')
      .describe('Where the job runs: local (a process on the training worker) or ray (MLOPS_RAY_ADDRESS)'),
    command: z.array(z.string().min(1)).min(1).describe('The command, e.g. [python, train.py]'),
    codeDir: z.string().min(1).default('.').describe('Folder with the code, relative to this file'),
    dataset: z
      .object({ name, snapshot: z.string().min(1).default('latest') })
      .strict()
      .optional()
      .describe('A dataset snapshot materialized into MLOPS_DATA_DIR'),
    params: z.record(paramKeySchema, z.unknown()).default({}).describe('Passed as MLOPS_PARAMS (JSON)'),
    env: z.record(z.string(), z.string()).default({}),
    primaryMetric: z.string().min(1).optional().describe('Final metric shown as MlPrimaryMetric'),
    resources: z
      .object({
        cpu: z.number().positive().optional(),
        memoryMb: z.number().positive().optional(),
        gpus: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    timeoutSeconds: z.number().int().positive().optional(),
  })
  .strict();

export type TrainingJobSpec = z.infer<typeof trainingJobSpecSchema>;

/** Applies `--set key=value` overrides to params (values parsed as JSON when they parse, else strings). */
export function applyParamOverrides(params: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const out = { ...params };
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new Error(`--set ${set}: expected key=value`);
    const problem = reservedKeyProblem(set.slice(0, eq));
    if (problem) throw new Error(`--set ${set.slice(0, eq)}: ${problem}`);
    const raw = set.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the string
    }
    out[set.slice(0, eq)] = value;
  }
  return out;
}
