/**
 * A pipeline's Temporal Schedule as this tool writes it (`desiredSchedule`, from the spec's
 * `schedule` section) and reads it back (`settingsOf`, from the schedule's description), reduced
 * to the same `ScheduleSettings` so `mlops pipeline apply` can compare them field by field.
 *
 * Schedule id `retrain/<pipeline>`; its runs are `retrain/<pipeline>/scheduled-<nominal time>`
 * (Temporal appends the time to the action's workflow id). The schedule's memo marks it as made by
 * this tool; the cron is kept in the action's memo because the server stores cron expressions
 * compiled into calendars and cannot give the text back.
 */
import crypto from 'node:crypto';
import type { ScheduleDescription, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import type { LoadedConfig } from '../../lib/config';
import { parseDuration } from '../../common/duration';
import {
  pipelineInput,
  pipelineSearchAttributes,
  pipelineSummary,
  pipelineWorkflowType,
  type PipelineInput,
} from '../../common/pipeline-start';
import type { PipelineSpec, ScheduleSection } from '../../common/schemas/spec';
import type { LoadedPipelineSpec } from '../pipeline-spec';

export const SCHEDULE_ID_PREFIX = 'retrain/';
/** The schedule memo value that marks a schedule as made by `mlops pipeline apply`. */
export const MANAGED_BY = 'mlops';
/** The action memo key holding what the tool recorded (the cron, the spec's hash and file). */
export const ACTION_MEMO_KEY = 'mlopsSchedule';

export type Overlap = ScheduleSection['overlap'];

/** Temporal raises a shorter catchup window to this, so the desired one is raised the same way. */
const MIN_CATCHUP_WINDOW_MS = 10_000;

/** The settings `pipeline apply` compares; durations in canonical form (`1h30m`, `0s`). */
export interface ScheduleSettings {
  cron: string;
  timezone: string;
  overlap: Overlap;
  catchupWindow: string;
  pauseOnFailure: boolean;
  jitter: string;
  taskQueue: string;
  trainingTaskQueue: string;
  /** The serving task queue the runs' rollouts deploy through (`-`: none, the rollout's own queue). */
  servingTaskQueue: string;
  /** `sha256:<hex>` of the spec the runs get, apart from its schedule section (which the other fields cover). */
  specHash: string;
  specFile: string;
}

export interface ActionMemo {
  pipeline: string;
  cron: string;
  specHash: string;
  specFile: string;
}

export interface DesiredSchedule {
  pipeline: string;
  scheduleId: string;
  file: string;
  settings: ScheduleSettings;
  options: ScheduleOptions;
}

/** `retrain/<pipeline>`. */
export function scheduleIdOf(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}`;
}

/** The workflow id the schedule's action carries; Temporal adds `-<nominal time>` per run. */
export function scheduledWorkflowIdOf(pipeline: string): string {
  return `retrain/${pipeline}/scheduled`;
}

/** Whether a schedule (by its memo) was made by this tool. */
export function isManaged(memo: Record<string, unknown> | undefined): boolean {
  return memo?.managedBy === MANAGED_BY;
}

/** The pipeline a managed schedule belongs to (its memo, else its id). */
export function pipelineOfSchedule(scheduleId: string, memo: Record<string, unknown> | undefined): string {
  return typeof memo?.pipeline === 'string' ? memo.pipeline : scheduleId.slice(SCHEDULE_ID_PREFIX.length);
}

/** The schedule a spec with a `schedule` section asks for. */
export function desiredSchedule(loaded: LoadedPipelineSpec, config: LoadedConfig): DesiredSchedule {
  const { spec, file } = loaded;
  const section = spec.schedule;
  if (!section) throw new Error(`${file}: has no schedule section`);
  const pipeline = spec.name;
  const scheduleId = scheduleIdOf(pipeline);
  const input = pipelineInput({
    spec,
    specFile: file,
    trigger: 'schedule',
    actor: 'schedule',
    force: false,
    trainingTaskQueue: config.trainingTaskQueue,
    servingTaskQueue: config.servingTaskQueue,
  });
  const catchupWindow = Math.max(parseDuration(section.catchupWindow), MIN_CATCHUP_WINDOW_MS);
  const settings: ScheduleSettings = {
    cron: section.cron,
    timezone: section.timezone,
    overlap: section.overlap,
    catchupWindow: formatDuration(catchupWindow),
    pauseOnFailure: section.pauseOnFailure,
    jitter: formatDuration(parseDuration(section.jitter)),
    taskQueue: config.taskQueue,
    trainingTaskQueue: config.trainingTaskQueue,
    servingTaskQueue: config.servingTaskQueue,
    specHash: specHashOf(spec),
    specFile: file,
  };
  const memo: ActionMemo = { pipeline, cron: section.cron, specHash: settings.specHash, specFile: file };
  const when = `${section.cron} ${section.timezone}`;
  const options: ScheduleOptions = {
    scheduleId,
    spec: {
      cronExpressions: [section.cron],
      timezone: section.timezone,
      jitter: parseDuration(section.jitter),
    },
    action: {
      type: 'startWorkflow',
      workflowType: pipelineWorkflowType(spec),
      workflowId: scheduledWorkflowIdOf(pipeline),
      taskQueue: config.taskQueue,
      args: [input],
      memo: { [ACTION_MEMO_KEY]: memo },
      typedSearchAttributes: pipelineSearchAttributes(pipeline, 'schedule'),
      staticSummary: pipelineSummary(pipeline, `schedule ${when}`),
      staticDetails: [
        `Scheduled retrain of pipeline **${pipeline}** → model **${spec.model}**${spec.workflow ? ` (workflow \`${spec.workflow}\`)` : ''}.`,
        `Schedule \`${scheduleId}\`: \`${section.cron}\` (${section.timezone}), overlap ${section.overlap}.`,
        `Spec \`${file}\` (${settings.specHash.slice(0, 19)}), applied by ${config.actor} with \`mlops pipeline apply\`.`,
      ].join('\n\n'),
    },
    policies: {
      overlap: temporalOverlap(section.overlap),
      catchupWindow,
      pauseOnFailure: section.pauseOnFailure,
    },
    memo: { managedBy: MANAGED_BY, pipeline },
    state: { paused: false, note: `created by ${config.actor} with mlops pipeline apply from ${file}` },
  };
  return { pipeline, scheduleId, file, settings, options };
}

/** The settings of an existing schedule, as `desiredSchedule` would have written them. */
export function settingsOf(description: ScheduleDescription): ScheduleSettings {
  const action = description.action;
  const input = (action.args?.[0] ?? {}) as Partial<PipelineInput>;
  const memo = (action.memo?.[ACTION_MEMO_KEY] ?? {}) as Partial<ActionMemo>;
  return {
    cron: memo.cron ?? '?',
    timezone: description.spec.timezone ?? 'UTC',
    overlap: overlapOf(description.policies.overlap),
    catchupWindow: formatDuration(description.policies.catchupWindow),
    pauseOnFailure: description.policies.pauseOnFailure,
    jitter: formatDuration(description.spec.jitter ?? 0),
    taskQueue: action.taskQueue,
    trainingTaskQueue: input.trainingTaskQueue ?? '?',
    // schedules applied before the serving queue existed start rollouts on their own queue
    servingTaskQueue: input.servingTaskQueue ?? '-',
    specHash: input.spec ? specHashOf(input.spec) : (memo.specHash ?? '?'),
    specFile: input.specFile ?? memo.specFile ?? '?',
  };
}

/** `allow-all` → `ALLOW_ALL`. */
export function temporalOverlap(overlap: Overlap): ScheduleOverlapPolicy {
  return overlap.toUpperCase().replace(/-/g, '_') as ScheduleOverlapPolicy;
}

/** `ALLOW_ALL` → `allow-all` (unset: the server's default, skip). */
export function overlapOf(policy: ScheduleOverlapPolicy | string | undefined): Overlap {
  return (policy ?? 'SKIP').toLowerCase().replace(/_/g, '-') as Overlap;
}

/** `sha256:<hex>` of a spec's canonical JSON (object keys sorted), its schedule section left out. */
export function specHashOf(spec: PipelineSpec): string {
  const rest = { ...spec, schedule: undefined };
  return `sha256:${crypto.createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as a duration the spec accepts: 5400000 → `1h30m`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text || '0s';
}
