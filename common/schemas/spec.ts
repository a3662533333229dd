/**
 * The pipeline spec (`pipelines/<name>.yaml`): what one retraining pipeline reads, trains,
 * evaluates and gates, who approves it, how it rolls out and is monitored, whom it tells and when
 * it runs. Every object is strict (an unknown key is an error), every field documented with
 * `.describe()` so the generated JSON Schema (docs/pipeline-spec.schema.json) helps editors.
 * Relative paths are relative to the spec file's folder; client/pipeline-spec.ts resolves them.
 * Pure (zod and common/ only): workflows may import it.
 */
import { z } from 'zod';
import { keyAliases } from './key-aliases';
import { cronProblem } from '../cron';
import { EVALUATION_TASKS, type EvaluationTask } from '../evaluation';
import { DEFAULT_CANARY_STEPS } from '../rollout-defaults';
import { isDuration, parseDuration } from '../duration';
import { approverNames } from '../signed-decision';
import { durationSchema, minDurationSchema, positiveDurationSchema } from './duration';
import { sweepSectionSchema } from './sweep';
import { paramKeySchema } from './training-job';

export { parseDuration } from '../duration';

/** Says `required` for an absent field, instead of zod's "expected string, received undefined". */
const missing = { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : undefined) };

const NAME_RULE = 'lowercase letters, digits, . _ - (at most 63, starting with a letter or digit)';
const name = z.string(missing).regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, NAME_RULE);
const metricName = z.string(missing).regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'a metric name, e.g. auc or log_loss');
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const fraction = z.number().min(0).max(1);
const command = z.array(z.string().min(1), missing).min(1, 'needs at least the program, e.g. [python, train.py]');
const relativeFile = z
  .string(missing)
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the snapshot (no / or ..)');
const codePackage = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'a code package digest, sha256:<64 hex digits>')
  .optional()
  .describe('Set by the CLI when it packages codeDir; the digest of the code package the jobs run');

/**
 * Bounds of the numbers a spec may give: far above any real pipeline, low enough that no spec can
 * make a worker or a workflow history grow without bound.
 */
export const SPEC_LIMITS = {
  /** Captured requests a monitoring window reads at most. */
  maxSampleSize: 1_000_000,
  /** The shortest wait between two analyses (monitoring windows, rollout analyses and steps). */
  minInterval: '1s',
  /** The longest job timeout: 30 days. */
  maxTimeoutSeconds: 30 * 24 * 3600,
  /** Failed analyses, bake extensions, drifting windows in a row. */
  maxCount: 1000,
} as const;

const interval = minDurationSchema(SPEC_LIMITS.minInterval);
const timeoutSeconds = z.number().int().positive().max(SPEC_LIMITS.maxTimeoutSeconds, 'at most 30 days (2592000)');
const count = (min: number) => z.number().int().min(min).max(SPEC_LIMITS.maxCount);

/** A strict object whose unknown-key error lists the keys it allows. */
function strictObject<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${allowed})`
          : undefined,
  });
}

/** A column name as a key of the expectations (a reserved name cannot be a column: activities/data/profile.ts). */
const columnKey = paramKeySchema.min(1);

const columnType = z.enum(['integer', 'number', 'boolean', 'string', 'datetime']);

/** The checks `validateDataset` runs on the snapshot; columns are looked up in every CSV file of it. */
export const datasetExpectationsSchema = strictObject({
  file: relativeFile.optional().describe('Check only this file of the snapshot; default: every CSV file'),
  requiredColumns: z
    .array(strictObject({ name: z.string(missing).min(1), type: columnType.optional() }))
    .optional()
    .describe('Columns every checked file must have, optionally with their type'),
  minRows: z.number().int().min(0).optional().describe('At least this many rows per checked file'),
  maxNullRate: z.record(columnKey, fraction).optional().describe('Column → maximum null rate (0..1)'),
  allowedCategories: z
    .record(columnKey, z.array(z.string()).min(1))
    .optional()
    .describe('Column → the only values allowed'),
  ranges: z
    .record(
      columnKey,
      strictObject({ min: finite.optional(), max: finite.optional() }).refine(
        (r) => r.min === undefined || r.max === undefined || r.min <= r.max,
        { message: 'min must be <= max', path: ['max'] },
      ),
    )
    .optional()
    .describe('Column → inclusive range'),
  labelColumn: z.string().min(1).optional().describe('The label column (must be present and non-null)'),
});

/** What `validateDataset` checks (the `dataset.expectations` section, or `mlops data validate --expectations`). */
export type DatasetExpectations = z.infer<typeof datasetExpectationsSchema>;

export const datasetSectionSchema = strictObject({
  name: name.describe('The dataset name in the store (snapshots are taken under it)'),
  source: z
    .string(missing)
    .min(1)
    .refine(
      (s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^(s3|file|upload):\/\//i.test(s),
      'use a folder, s3://, file:// or upload://',
    )
    .optional()
    .describe(
      'A folder relative to the spec file, file://<path>, s3://bucket/prefix or upload://<hex> (what `mlops run` makes of a folder: uploaded from the CLI); snapshotted on every run. Required unless the spec names a workflow, which may make its data itself (e.g. with runStep)',
    ),
  workerPath: z
    .boolean()
    .optional()
    .describe(
      "true: a folder source is a folder on the worker's host, read there on every run (within the worker's MLOPS_SOURCE_ROOTS), e.g. for a scheduled retrain of a folder the workers share. Default false: `mlops run` uploads it from the CLI's machine",
    ),
  expectations: datasetExpectationsSchema.optional().describe('Checked on every snapshot before training'),
});

export const trainingSectionSchema = strictObject({
  backend: z
    .enum(['local', 'ray'])
    .default('local')
    .describe('local: a process on the training worker; ray: a Ray job'),
  entrypoint: command.describe('The command, e.g. [python, train.py]'),
  codeDir: z.string().min(1).default('.').describe('Folder with the training code, relative to the spec file'),
  codePackage,
  params: z.record(paramKeySchema, z.unknown()).default({}).describe('Fixed params, passed as MLOPS_PARAMS (JSON)'),
  env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the job'),
  resources: strictObject({
    cpu: z.number().positive().optional(),
    memoryMb: z.number().positive().optional(),
    gpus: z.number().int().min(0).optional(),
  })
    .optional()
    .describe('What the job needs (used by the Ray backend)'),
  timeoutSeconds: timeoutSeconds.optional().describe('The job is stopped after this long (at most 30 days)'),
  sweep: sweepSectionSchema.optional().describe('Train by a hyperparameter sweep; its best trial is the candidate'),
});

const holdoutFileSchema = strictObject({
  file: relativeFile.describe("A file of the pipeline's own snapshot, e.g. holdout.csv"),
});
const holdoutDatasetSchema = strictObject({
  dataset: name.describe('Another dataset whose snapshot is the holdout'),
  snapshot: z.string().min(1).default('latest').describe('Its snapshot id, or latest (pinned when the run starts)'),
});

export const gatesSchema = strictObject({
  thresholds: z
    .record(
      metricName,
      strictObject({ min: finite.optional(), max: finite.optional() }).superRefine((t, ctx) => {
        if (t.min === undefined && t.max === undefined)
          ctx.addIssue({ code: 'custom', message: 'needs min, max or both' });
        else if (t.min !== undefined && t.max !== undefined && t.min > t.max)
          ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be >= min' });
      }),
    )
    .default({})
    .describe('Metric → absolute bounds the candidate must meet, e.g. { auc: { min: 0.75 } }'),
  minImprovement: finite
    .optional()
    .describe("The primary metric must beat the champion's by at least this, in its direction (0: no worse)"),
  maxSegmentRegression: z
    .number()
    .min(0)
    .optional()
    .describe("Per segment, the primary metric may be worse than the champion's by at most this"),
  maxCalibrationError: z.number().min(0).optional().describe('expected_calibration_error must be <= this'),
});

export type GatesSpec = z.infer<typeof gatesSchema>;

/** The metrics of reports and comparisons of a binary evaluation when the spec lists none. */
export const DEFAULT_EVALUATION_METRICS = ['auc', 'accuracy', 'f1', 'log_loss', 'expected_calibration_error'];

/** The metrics of reports and comparisons per task, when the spec lists none. */
export const DEFAULT_TASK_METRICS: Readonly<Record<EvaluationTask, readonly string[]>> = {
  binary: DEFAULT_EVALUATION_METRICS,
  regression: ['rmse', 'mae', 'r2'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
};

// lower is better for these, whatever the task: a primary metric of them maximized is a mistake
const LOWER_IS_BETTER = /(^|_)(rmse|mse|mae|mape|log_loss|error)$/;

const evaluationShape = {
  task: z
    .enum(EVALUATION_TASKS as [EvaluationTask, ...EvaluationTask[]])
    .optional()
    .describe('What the model predicts: binary (the default), multiclass or regression; picks the default metrics'),
  entrypoint: command.describe('The command, e.g. [python, evaluate.py]; it writes evaluation.json'),
  codeDir: z.string().min(1).default('.').describe('Folder with the evaluation code, relative to the spec file'),
  codePackage,
  holdout: z
    .union([holdoutFileSchema, holdoutDatasetSchema], {
      error: 'either { file: <path in the snapshot> } or { dataset: <name>, snapshot: <id|latest> }',
    })
    .default({ file: 'holdout.csv' })
    .describe('Where candidate and champion are scored: a file of the snapshot, or another dataset'),
  timeoutSeconds: timeoutSeconds.optional().describe('The evaluation job is stopped after this long (at most 30 days)'),
  primaryMetric: metricName.describe('The key of evaluation.json that decides, e.g. auc or rmse'),
  direction: z.enum(['maximize', 'minimize']).default('maximize').describe('Whether higher or lower is better'),
  metrics: z
    .array(metricName)
    .min(1)
    .optional()
    .describe(
      `Metrics shown in reports and comparisons; default per task: binary ${DEFAULT_TASK_METRICS.binary.join(', ')}; regression ${DEFAULT_TASK_METRICS.regression.join(', ')}; multiclass ${DEFAULT_TASK_METRICS.multiclass.join(', ')}`,
    ),
  gates: gatesSchema.default({ thresholds: {} }).describe('What the candidate must pass to be registered'),
};

export const evaluationSectionSchema = strictObject(evaluationShape)
  .superRefine((section, ctx) => {
    if (section.task !== undefined && section.direction === 'maximize') {
      if (LOWER_IS_BETTER.test(section.primaryMetric))
        ctx.addIssue({
          code: 'custom',
          path: ['direction'],
          message: `${section.primaryMetric} is better lower: set direction: minimize`,
        });
    }
  })
  // the default metrics follow the task; keys keep the order of the shape, as a spec without task always had
  .transform(({ metrics, ...rest }) => {
    const filled: typeof rest & { metrics: string[] } = {
      ...rest,
      metrics: metrics ?? [...DEFAULT_TASK_METRICS[rest.task ?? 'binary']],
    };
    const ordered = Object.fromEntries(
      Object.keys(evaluationShape)
        .filter((key) => key in filled)
        .map((key) => [key, filled[key as keyof typeof filled]]),
    );
    return ordered as typeof filled;
  });

/** An OpenSSH public key line of a kind the worker verifies (lib/ssh-signature.ts parses it fully). */
export const sshPublicKeySchema = z
  .string()
  .trim()
  .regex(
    /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/]+={0,2}( .*)?$/,
    'an OpenSSH public key line: ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa, then the base64 key (e.g. the line of ~/.ssh/id_ed25519.pub)',
  );

/** An approver: a name (decisions unverified), or a name with the public key(s) their decisions are signed with. */
export const approverSchema = z.union([
  z.string().trim().min(1),
  strictObject({
    name: z.string().trim().min(1).describe('The actor name (MLOPS_ACTOR, --as)'),
    key: z
      .union([sshPublicKeySchema, z.array(sshPublicKeySchema).min(1)])
      .describe('OpenSSH public key line(s) whose signature identifies this approver'),
  }),
]);

export const approvalSectionSchema = strictObject({
  required: z.boolean().default(true).describe('Whether a person must approve before rollout'),
  approvers: z
    .array(approverSchema)
    .min(1)
    .refine((a) => new Set(approverNames(a)).size === a.length, 'lists someone twice')
    .optional()
    .describe(
      'Only these actors (MLOPS_ACTOR) may approve or reject; absent: anyone. An entry with a key ({ name, key }) makes every decision need a signature by a listed key',
    ),
  timeout: positiveDurationSchema.default('24h').describe('How long to wait for a decision, e.g. 24h'),
  onTimeout: z.enum(['reject', 'approve']).default('reject').describe('The decision when nobody decided in time'),
  remindEvery: interval.optional().describe('Send a reminder this often while waiting; < timeout'),
}).superRefine((a, ctx) => {
  if (a.remindEvery && isDuration(a.remindEvery) && isDuration(a.timeout)) {
    if (parseDuration(a.remindEvery) >= parseDuration(a.timeout))
      ctx.addIssue({ code: 'custom', path: ['remindEvery'], message: `must be shorter than timeout (${a.timeout})` });
  }
});

const weight = z.number().int().min(1).max(100);

export const rolloutSectionSchema = strictObject({
  endpoint: name.describe('The serving endpoint the model rolls out to'),
  strategy: z
    .enum(['canary', 'linear', 'all-at-once'])
    .default('canary')
    .describe('canary: the weights in steps; linear: stepSize more every interval; all-at-once: 100 at once'),
  steps: z
    .array(weight)
    .min(1)
    .optional()
    .describe(`Canary only: traffic weights (%), strictly increasing, ending at 100. Default: ${DEFAULT_CANARY_STEPS}`),
  stepSize: weight.optional().describe('Linear only (required): traffic added per step (%)'),
  interval: interval.optional().describe('Linear only: time between steps (at least 1s). Default: bake'),
  bake: durationSchema.default('10m').describe('How long each step runs under analysis before the next'),
  analysisInterval: interval.default('1m').describe('How often the metrics are analysed while baking (at least 1s)'),
  maxErrorRate: fraction.default(0.01).describe("The new variant's error rate may not exceed this (0..1)"),
  maxErrorRateIncrease: fraction
    .optional()
    .describe(
      "Its error rate may exceed the baseline's by at most this many percentage points, as a fraction (0.02: baseline 1% allows 3%)",
    ),
  maxLatencyP95Ms: z.number().positive().optional().describe('Its p95 latency may not exceed this (ms)'),
  maxLatencyIncrease: z
    .number()
    .min(0)
    .optional()
    .describe('Its p95 latency may exceed the baseline by at most this fraction'),
  maxPredictionPsi: z.number().min(0).optional().describe('PSI between its and the baseline’s predictions'),
  minRequests: z
    .number()
    .int()
    .min(0)
    .max(SPEC_LIMITS.maxSampleSize)
    .default(50)
    .describe('Requests a step needs before it can be judged'),
  failureLimit: count(1).default(2).describe('Failed analyses before rolling back'),
  maxBakeExtensions: count(0)
    .default(3)
    .describe('Times a step is extended while it has too few requests, before rolling back'),
  terminationWait: durationSchema
    .default('30s')
    .describe('After the switch, how long the old variant keeps serving requests in flight'),
}).superRefine((r, ctx) => {
  const only = (key: 'steps' | 'stepSize' | 'interval', strategy: string) => {
    if (r[key] !== undefined && r.strategy !== strategy)
      ctx.addIssue({ code: 'custom', path: [key], message: `only for strategy ${strategy} (this is ${r.strategy})` });
  };
  only('steps', 'canary');
  only('stepSize', 'linear');
  only('interval', 'linear');
  if (r.steps) {
    for (let i = 1; i < r.steps.length; i++) {
      if (r.steps[i]! <= r.steps[i - 1]!)
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: `must be greater than ${r.steps[i - 1]}` });
    }
    if (r.steps.at(-1) !== 100) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100' });
  }
  if (r.strategy === 'linear' && r.stepSize === undefined)
    ctx.addIssue({ code: 'custom', path: ['stepSize'], message: 'required for strategy linear' });
  // a bake of 0 runs no analysis at all
  const bakeMs = isDuration(r.bake) ? parseDuration(r.bake) : 0;
  if (bakeMs > 0 && isDuration(r.analysisInterval) && parseDuration(r.analysisInterval) > bakeMs)
    ctx.addIssue({ code: 'custom', path: ['analysisInterval'], message: `must not be longer than bake (${r.bake})` });
});

export type RolloutSection = z.infer<typeof rolloutSectionSchema>;

const pValue = z.number().gt(0).lt(1);

export const monitoringSectionSchema = strictObject({
  interval: interval.default('10m').describe('How often drift is computed (at least 1s)'),
  sampleSize: z
    .number()
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxSampleSize)
    .default(5000)
    .describe('Captured requests per window, at most (at most 1000000)'),
  minSamples: z.number().int().min(1).default(200).describe('A window with fewer requests is not judged'),
  consecutiveWindows: count(1).default(2).describe('Drifting windows in a row before alerting'),
  driftShare: fraction
    .default(0.3)
    .describe('A window drifts when at least this share of the features drift, or the predictions do (0..1)'),
  maxAccuracyDrop: fraction
    .optional()
    .describe('Where labels arrived: a window also drifts when live accuracy is this far below the evaluation’s'),
  thresholds: strictObject({
    psi: z
      .number()
      .min(0)
      .default(0.2)
      .describe('Population stability index above this (and above its noise floor at the window size) drifts'),
    ks_pvalue: pValue.default(0.01).describe('Kolmogorov-Smirnov p-value below this drifts (numeric features)'),
    js_distance: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Jensen-Shannon distance above this (and above its noise floor at the window size) drifts'),
    chi2_pvalue: pValue.default(0.01).describe('Chi-square p-value below this drifts (categorical features)'),
    wasserstein: z.number().min(0).optional().describe('Wasserstein distance above this drifts (off when absent)'),
  })
    .default({ psi: 0.2, ks_pvalue: 0.01, js_distance: 0.1, chi2_pvalue: 0.01 })
    .describe('When a feature (or the prediction) counts as drifting'),
  retrain: strictObject({
    enabled: z.boolean().default(true).describe('Start this pipeline when drift persists'),
    cooldown: durationSchema
      .default('6h')
      .describe('No drift-triggered retrain sooner than this after the end of the last one the monitor started'),
  })
    .default({ enabled: true, cooldown: '6h' })
    .describe('Retraining on drift'),
}).superRefine((m, ctx) => {
  if (m.minSamples > m.sampleSize)
    ctx.addIssue({ code: 'custom', path: ['minSamples'], message: `must not exceed sampleSize (${m.sampleSize})` });
});

export const NOTIFICATION_EVENTS = [
  'started',
  'awaiting-approval',
  'approval-reminder',
  'succeeded',
  'unchanged',
  'rejected',
  'failed',
  'drift-detected',
] as const;

export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const notificationsSectionSchema = strictObject({
  webhookEnv: z
    .string(missing)
    .superRefine((v, ctx) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /hooks\.|\/services\//i.test(v))
        ctx.addIssue({
          code: 'custom',
          message:
            'looks like a URL: keep the webhook URL in an environment variable of the worker and give its name here (e.g. MLOPS_WEBHOOK_SLACK)',
        });
      else if (!/^[A-Z_][A-Z0-9_]*$/.test(v))
        ctx.addIssue({
          code: 'custom',
          message: 'an environment variable name: A-Z, 0-9 and _, e.g. MLOPS_WEBHOOK_SLACK',
        });
    })
    .describe('The NAME of the environment variable holding the Slack-compatible webhook URL (never the URL itself)'),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .refine((e) => new Set(e).size === e.length, 'lists an event twice')
    .default([...NOTIFICATION_EVENTS])
    .describe('Which events are posted. Default: all'),
});

export const scheduleSectionSchema = strictObject({
  cron: z
    .string(missing)
    .superRefine((v, ctx) => {
      const problem = cronProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('When to retrain: 5 fields (minute hour day-of-month month day-of-week) or @daily, @hourly…'),
  timezone: z
    .string()
    .refine(isTimeZone, 'not an IANA time zone, e.g. UTC or Europe/Berlin')
    .default('UTC')
    .describe('The time zone the cron is read in (IANA name)'),
  overlap: z
    .enum(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])
    .default('skip')
    .describe('What happens when a run is due while the previous one still runs'),
  catchupWindow: positiveDurationSchema
    .default('1h')
    .describe('Runs missed (e.g. server down) within this are caught up'),
  pauseOnFailure: z.boolean().default(false).describe('Pause the schedule when a run fails'),
  jitter: durationSchema.default('0s').describe('Start each run up to this much later, at random'),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

export const pipelineSpecSchema = strictObject({
  name: name.describe('The pipeline name; runs are retrain/<name>/<time>'),
  description: z.string().optional().describe('What the pipeline is for'),
  workflow: z
    .string()
    .regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'the name of an exported workflow function, e.g. forecastPipeline')
    .optional()
    .describe(
      'The workflow every run starts: an exported function of a module the worker registers (mlops worker --workflows). Default: the built-in retrainPipeline',
    ),
  model: name.describe('The registry model this pipeline produces versions of'),
  dataset: datasetSectionSchema.describe('The data every run snapshots, validates and trains on'),
  training: trainingSectionSchema.describe('How the candidate is trained: one job, or a sweep'),
  evaluation: evaluationSectionSchema.describe('How candidate and champion are scored, and the gates'),
  approval: approvalSectionSchema.optional().describe('Human approval before rollout; absent: not required'),
  rollout: rolloutSectionSchema.optional().describe('Progressive rollout to a serving endpoint'),
  monitoring: monitoringSectionSchema.optional().describe("Drift monitoring of the rollout's endpoint"),
  notifications: notificationsSectionSchema.optional().describe('Posts to a Slack-compatible webhook'),
  schedule: scheduleSectionSchema.optional().describe('Retrain on a cron schedule (a Temporal Schedule)'),
})
  .superRefine((spec, ctx) => {
    if (spec.dataset.source === undefined && spec.workflow === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'source'],
        message: 'required (only a spec naming a workflow may leave it out, when its workflow makes the data)',
      });
    if (spec.monitoring && !spec.rollout)
      ctx.addIssue({
        code: 'custom',
        path: ['monitoring'],
        message: 'needs a rollout section (the endpoint to watch)',
      });
  })
  .describe('A retraining pipeline: data, training, evaluation and gates, approval, rollout, monitoring, schedule');

keyAliases.add(pipelineSpecSchema, {
  aliases: [
    // the job file's old spelling, so one file's section can move into the other
    { at: ['training'], from: 'command', to: 'entrypoint' },
    { at: ['evaluation'], from: 'command', to: 'entrypoint' },
  ],
});

export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
/** The spec as written (defaults not yet filled in). */
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type DatasetSection = PipelineSpec['dataset'];
export type TrainingSection = PipelineSpec['training'];
export type EvaluationSection = PipelineSpec['evaluation'];
export type HoldoutSpec = EvaluationSection['holdout'];
export type ApprovalSection = z.infer<typeof approvalSectionSchema>;
export type MonitoringSection = z.infer<typeof monitoringSectionSchema>;
export type NotificationsSection = z.infer<typeof notificationsSectionSchema>;
export type ScheduleSection = z.infer<typeof scheduleSectionSchema>;
