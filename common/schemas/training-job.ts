/**
 * The training job file (`mlops train <job.yaml>`): what to run, on which data, with which params.
 * Validated with zod; errors name the field path. Paths are relative to the file's folder.
 */
import { z } from 'zod';
import { reservedKeyProblem } from '../reserved-keys';
import { keyAliases, type KeyAlias } from './key-aliases';

/**
 * A param's name: any string but a reserved one (`constructor`, `prototype`; `__proto__` never reaches
 * a schema, so the file readers refuse it, and `applyParamOverrides` does).
 */
export const paramKeySchema = z.string().superRefine((key, ctx) => {
  const problem = reservedKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const paramTypeSchema = z.enum(['int', 'float', 'bool', 'string', 'int?', 'float?', 'bool?', 'string?']);

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ - (at most 63)');

export const trainingJobSpecSchema = z
  .object({
    name: name.describe('The job name, e.g. churn-train'),
    pipeline: name.describe('Experiments are tracked under this pipeline name'),
    backend: z
      .enum(['local', 'ray'])
      .default('local')
      .describe('Where the job runs: local (a process on the training worker) or ray (MLOPS_RAY_ADDRESS)'),
    entrypoint: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'The command, e.g. [python, train.py] (as training.entrypoint of a pipeline file; `command` is its deprecated spelling)',
      ),
    codeDir: z.string().min(1).default('.').describe('Folder with the code, relative to this file'),
    dataset: z
      .object({ name, snapshot: z.string().min(1).default('latest') })
      .strict()
      .optional()
      .describe('A dataset snapshot materialized into MLOPS_DATA_DIR'),
    params: z.record(paramKeySchema, z.unknown()).default({}).describe('Passed as MLOPS_PARAMS (JSON)'),
    paramTypes: z
      .record(paramKeySchema, paramTypeSchema)
      .optional()
      .describe(
        'Optional: the params the job takes and their types (int, float, bool, string; a trailing ? allows null); then every param and --set must be declared and of its type',
      ),
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
  .strict()
  .superRefine((spec, ctx) => {
    if (!spec.paramTypes) return;
    for (const problem of paramProblems(spec.params, spec.paramTypes)) {
      ctx.addIssue({ code: 'custom', path: ['params', problem.name], message: problem.message });
    }
  });

export type TrainingJobSpec = z.infer<typeof trainingJobSpecSchema>;

/** The deprecated keys of job and sweep files (client/job-file.ts renames them, with a warning). */
export const JOB_FILE_ALIASES: readonly KeyAlias[] = [{ at: [], from: 'command', to: 'entrypoint' }];
keyAliases.add(trainingJobSpecSchema, { aliases: JOB_FILE_ALIASES });

/** A declared param's type: `int`, `float`, `bool` or `string`, with a trailing `?` when null is allowed too. */
export type ParamType = z.infer<typeof paramTypeSchema>;

/** One param that is not declared, or not of its declared type. */
export interface ParamProblem {
  name: string;
  message: string;
}

/** The params of `params` that `declared` does not declare or whose value is not of the declared type. */
export function paramProblems(params: Record<string, unknown>, declared: Record<string, ParamType>): ParamProblem[] {
  const problems: ParamProblem[] = [];
  for (const [name, value] of Object.entries(params)) {
    const type = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (type === undefined) {
      const known = Object.keys(declared).sort().join(', ') || 'none';
      problems.push({ name, message: `param ${name} is not declared in paramTypes (declared: ${known})` });
    } else if (!isOfType(value, type)) {
      problems.push({ name, message: `param ${name} must be ${describeType(type)}, got ${JSON.stringify(value)}` });
    }
  }
  return problems;
}

function isOfType(value: unknown, type: ParamType): boolean {
  if (value === null) return type.endsWith('?');
  switch (type.replace(/\?$/, '')) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    default:
      return typeof value === 'string';
  }
}

function describeType(type: ParamType): string {
  const noun = { int: 'an integer', float: 'a number', bool: 'true or false', string: 'a string' }[
    type.replace(/\?$/, '') as 'int' | 'float' | 'bool' | 'string'
  ];
  return type.endsWith('?') ? `${noun} or null` : noun;
}

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
