/**
 * The plan of `mlops pipeline apply`: what to do to each pipeline's schedule so the cluster matches
 * the spec files. Pure: `computePlan` compares the declared schedules with the existing ones;
 * `renderPlan` prints it.
 */
import type { LoadedPipelineSpec } from '../pipeline-spec';
import { scheduleIdOf, type DesiredSchedule, type ScheduleSettings } from './settings';

/** One changed setting of a schedule, with its old and new value. */
export interface FieldChange {
  field: keyof ScheduleSettings;
  from: string | boolean;
  to: string | boolean;
}

export type PlanEntry =
  | { action: 'create'; pipeline: string; scheduleId: string; file: string; settings: ScheduleSettings }
  | { action: 'update'; pipeline: string; scheduleId: string; file: string; changes: FieldChange[] }
  | { action: 'unchanged'; pipeline: string; scheduleId: string; file: string }
  /** `delete` with --prune; without it the schedule is `kept` and reported. */
  | { action: 'delete' | 'kept'; pipeline: string; scheduleId: string; reason: string }
  /** A schedule with the id exists but this tool did not make it: left alone. */
  | { action: 'conflict'; pipeline: string; scheduleId: string; file: string; reason: string };

export type PlanAction = PlanEntry['action'];

/** A pipeline the spec files declare; `desired` is absent when its spec has no schedule section. */
export interface DeclaredPipeline {
  pipeline: string;
  file: string;
  desired?: DesiredSchedule;
  /** The spec a desired schedule is built from (its code packaged by `packageDeclared`). */
  loaded?: LoadedPipelineSpec;
}

/** A schedule on the cluster: one this tool made (`managed`, with its settings), or one with a `retrain/` id it did not. */
export interface ExistingSchedule {
  scheduleId: string;
  pipeline: string;
  managed: boolean;
  settings?: ScheduleSettings;
}

/** The settings compared, in the order changes are listed. */
const FIELDS: (keyof ScheduleSettings)[] = [
  'cron',
  'timezone',
  'overlap',
  'catchupWindow',
  'pauseOnFailure',
  'jitter',
  'taskQueue',
  'trainingTaskQueue',
  'servingTaskQueue',
  'specHash',
  'specFile',
];

/** The settings that differ between an existing schedule and the desired one. */
export function changedFields(actual: ScheduleSettings, desired: ScheduleSettings): FieldChange[] {
  return FIELDS.filter((f) => actual[f] !== desired[f]).map((f) => ({ field: f, from: actual[f], to: desired[f] }));
}

/** The plan, sorted by pipeline: declared schedules first, then those no longer declared. */
export function computePlan(
  declared: readonly DeclaredPipeline[],
  existing: ReadonlyMap<string, ExistingSchedule>,
  prune: boolean,
): PlanEntry[] {
  const plan: PlanEntry[] = [];
  const wanted = new Set<string>();
  for (const d of [...declared].sort((a, b) => a.pipeline.localeCompare(b.pipeline))) {
    if (!d.desired) continue;
    const { pipeline, scheduleId, file, settings } = d.desired;
    wanted.add(scheduleId);
    const current = existing.get(scheduleId);
    if (!current) plan.push({ action: 'create', pipeline, scheduleId, file, settings });
    else if (!current.managed || !current.settings)
      plan.push({
        action: 'conflict',
        pipeline,
        scheduleId,
        file,
        reason: `schedule ${scheduleId} exists but was not created by mlops pipeline apply; delete or rename it`,
      });
    else {
      const changes = changedFields(current.settings, settings);
      plan.push(
        changes.length > 0
          ? { action: 'update', pipeline, scheduleId, file, changes }
          : { action: 'unchanged', pipeline, scheduleId, file },
      );
    }
  }
  const withoutSchedule = new Set(declared.filter((d) => !d.desired).map((d) => scheduleIdOf(d.pipeline)));
  const stale = [...existing.values()]
    .filter((e) => e.managed && !wanted.has(e.scheduleId))
    .sort((a, b) => a.pipeline.localeCompare(b.pipeline));
  for (const e of stale) {
    const reason = withoutSchedule.has(e.scheduleId)
      ? 'its spec has no schedule section'
      : 'its pipeline is no longer declared';
    plan.push({ action: prune ? 'delete' : 'kept', pipeline: e.pipeline, scheduleId: e.scheduleId, reason });
  }
  return plan;
}

/** How many entries of each action the plan has. */
export function countActions(plan: readonly PlanEntry[]): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, unchanged: 0, delete: 0, kept: 0, conflict: 0 };
  for (const e of plan) counts[e.action]++;
  return counts;
}

/** Whether applying the plan would change anything. */
export function hasChanges(plan: readonly PlanEntry[]): boolean {
  return plan.some((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete');
}

const MARK: Record<PlanAction, string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  delete: '-',
  kept: '?',
  conflict: '!',
};

/** The plan as text: one line per schedule, changed fields indented below an update. */
export function renderPlan(plan: readonly PlanEntry[]): string {
  if (plan.length === 0) return 'no pipeline declares a schedule, and no schedule made by mlops exists\n';
  const width = Math.max(...plan.map((e) => e.scheduleId.length));
  const lines: string[] = [];
  for (const e of plan) {
    const head = `${MARK[e.action]} ${e.action.padEnd(9)} ${e.scheduleId.padEnd(width)}`;
    switch (e.action) {
      case 'create':
        lines.push(`${head}  ${describeSettings(e.settings)}`);
        break;
      case 'update':
        lines.push(head.trimEnd());
        for (const c of e.changes) lines.push(`    ${formatChange(c)}`);
        break;
      case 'unchanged':
        lines.push(head.trimEnd());
        break;
      case 'delete':
        lines.push(`${head}  ${e.reason}`);
        break;
      case 'kept':
        lines.push(`${head}  ${e.reason}; kept (--prune deletes it)`);
        break;
      case 'conflict':
        lines.push(`${head}  ${e.reason}`);
        break;
    }
  }
  return lines.join('\n') + '\n';
}

/** `cron: '0 3 * * *' → '0 4 * * *'`. */
export function formatChange(c: FieldChange): string {
  const show = (v: string | boolean) =>
    typeof v === 'boolean' ? String(v) : c.field === 'specHash' ? v.slice(0, 19) : `'${v}'`;
  return `${c.field === 'specHash' ? 'spec' : c.field}: ${show(c.from)} → ${show(c.to)}`;
}

function describeSettings(s: ScheduleSettings): string {
  const parts = [`cron '${s.cron}' ${s.timezone}`, `overlap ${s.overlap}`, `catchup ${s.catchupWindow}`];
  if (s.pauseOnFailure) parts.push('pause on failure');
  if (s.jitter !== '0s') parts.push(`jitter ${s.jitter}`);
  return parts.join(', ');
}
