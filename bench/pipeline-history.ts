/**
 * Where the wall time of one retrain goes, read from its history and its children's: every instant
 * from the retrain's first event to its last is given to one thing, in this order of precedence:
 *   1. a job's own process (training, evaluation), from the `ran` times its activity returns;
 *   2. an activity running (Started → Closed) or waiting for a worker (Scheduled → Started), given
 *      to the pipeline step its type belongs to (`STEP_OF`; jobs of a child are the child's step);
 *   3. a workflow task (Scheduled → Completed) of the retrain or of a child; a task that recorded
 *      local activities (markers) is given to their step, since they ran inside it;
 *   4. a child's remaining span (Initiated → Completed in the parent: its start and its result);
 *   5. nothing: the server between one task and the next.
 * What is not 1 is the overhead. The sweep over the instants is written here because it is a few
 * lines over sorted boundaries; no library does this for Temporal histories.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The step an activity type belongs to in the breakdown. */
const STEP_OF: Record<string, string> = {
  snapshotDataset: 'snapshot',
  validateDataset: 'validate',
  codeVersion: 'champion lookup',
  findChampion: 'champion lookup',
  readEvaluation: 'evaluate',
  resolveSnapshot: 'evaluate',
  writeEvaluationReport: 'report',
  evaluationReportLocation: 'report',
  registerModel: 'register',
  setModelStatus: 'approval',
  setModelAlias: 'promote',
  startRun: 'tracking',
  finishRun: 'tracking',
  startTrial: 'tracking',
  finishTrial: 'tracking',
  trackRun: 'tracking',
  notify: 'notifications',
};

/** The steps in the order a retrain reaches them (others follow by name). */
export const STEP_ORDER = [
  'snapshot',
  'validate',
  'champion lookup',
  'train',
  'evaluate',
  'report',
  'register',
  'approval',
  'promote',
  'tracking',
  'notifications',
  'workflow tasks',
  'between tasks',
];

export interface StepShare {
  step: string;
  /** Overhead given to the step, ms. */
  ms: number;
  /** Of which activities waited for a worker (schedule-to-start), ms. */
  queuedMs: number;
  /** Of which workflow tasks (local activities included), ms. */
  taskMs: number;
}

export interface RunBreakdown {
  workflowId: string;
  wallMs: number;
  /** Time some job's own process ran (the union of their intervals). */
  jobMs: number;
  overheadMs: number;
  steps: StepShare[];
  /** Activity tasks scheduled (retrain and children) and local activities recorded. */
  activityTasks: number;
  localActivities: number;
  workflowTasks: number;
}

/** One history to read: the workflow's events, and the step its jobs belong to. */
export interface HistoryInput {
  events: HistoryEvent[];
  /** The step of `runTrainingJob` in this history (a train child: `train`; the retrain: `evaluate`). */
  jobStep: string;
  /** For a child: the step its own tasks and gaps are given to. */
  childStep?: string;
}

interface Span {
  start: number;
  end: number;
  /** Lower wins. */
  rank: number;
  step: string;
  kind: 'job' | 'activity' | 'queued' | 'task' | 'child';
}

/** The marker the SDK records for a completed local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

const RANK = { job: 0, activity: 1, queued: 2, task: 3, child: 4 } as const;

export function timeOf(e: HistoryEvent): number {
  const t = e.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

function idOf(n: unknown): number {
  return Number(n ?? 0);
}

/** The breakdown of a retrain whose history is `main` (first) and whose children's are the rest. */
export function breakdown(workflowId: string, histories: HistoryInput[]): RunBreakdown {
  const main = histories[0]!.events;
  const wallStart = timeOf(main[0]!);
  const wallEnd = timeOf(main[main.length - 1]!);
  const spans: Span[] = [];
  let activityTasks = 0;
  let localActivities = 0;
  let workflowTasks = 0;
  for (const h of histories) {
    const counts = collect(h, spans);
    activityTasks += counts.activities;
    localActivities += counts.markers;
    workflowTasks += counts.tasks;
  }
  spans.push(...childSpans(main));
  const shares = new Map<string, StepShare>();
  const jobMs = sweep(spans, wallStart, wallEnd, (span, ms) => {
    const s = shares.get(span?.step ?? 'between tasks') ?? {
      step: span?.step ?? 'between tasks',
      ms: 0,
      queuedMs: 0,
      taskMs: 0,
    };
    s.ms += ms;
    if (span?.kind === 'queued') s.queuedMs += ms;
    if (span?.kind === 'task') s.taskMs += ms;
    shares.set(s.step, s);
  });
  const order = (name: string) => (STEP_ORDER.includes(name) ? STEP_ORDER.indexOf(name) : STEP_ORDER.length);
  const steps = [...shares.values()].sort((a, b) => order(a.step) - order(b.step) || a.step.localeCompare(b.step));
  const wallMs = wallEnd - wallStart;
  return {
    workflowId,
    wallMs,
    jobMs,
    overheadMs: wallMs - jobMs,
    steps,
    activityTasks,
    localActivities,
    workflowTasks,
  };
}

/** Adds the spans of one history; returns how many activities, markers and workflow tasks it had. */
function collect(h: HistoryInput, spans: Span[]): { activities: number; markers: number; tasks: number } {
  const byId = new Map<number, HistoryEvent>();
  for (const e of h.events) byId.set(idOf(e.eventId), e);
  const activityStep = (scheduled: HistoryEvent | undefined) => {
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    return type === 'runTrainingJob' ? h.jobStep : (STEP_OF[type] ?? type);
  };
  let activities = 0;
  let markers = 0;
  let tasks = 0;
  let taskStart: number | undefined;
  const tasksDone: { start: number; end: number; step?: string }[] = [];
  for (const e of h.events) {
    const at = timeOf(e);
    if (e.activityTaskScheduledEventAttributes) activities++;
    if (e.workflowTaskScheduledEventAttributes) taskStart = at;
    if (e.workflowTaskCompletedEventAttributes && taskStart !== undefined) {
      tasks++;
      tasksDone.push({ start: taskStart, end: at });
      taskStart = undefined;
    }
    // a local activity's marker follows the task it ran in (patch markers are no activities)
    if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      markers++;
      const task = tasksDone.at(-1);
      if (task) task.step = markerStep(e, h.jobStep);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const scheduled = byId.get(idOf(started.scheduledEventId));
      spans.push({
        start: timeOf(scheduled!),
        end: at,
        rank: RANK.queued,
        step: activityStep(scheduled),
        kind: 'queued',
      });
    }
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed) {
      const scheduled = byId.get(idOf(closed.scheduledEventId));
      const startedAt = closed.startedEventId ? byId.get(idOf(closed.startedEventId)) : undefined;
      const step = activityStep(scheduled);
      spans.push({
        start: timeOf(startedAt ?? scheduled!),
        end: at,
        rank: RANK.activity,
        step,
        kind: 'activity',
      });
      const ran = e.activityTaskCompletedEventAttributes ? jobRan(e) : undefined;
      if (ran) spans.push({ ...ran, rank: RANK.job, step, kind: 'job' });
    }
  }
  for (const t of tasksDone) {
    const step = t.step ?? h.childStep ?? 'workflow tasks';
    spans.push({ start: t.start, end: t.end, rank: RANK.task, step, kind: 'task' });
  }
  return { activities, markers, tasks };
}

/** The span of each child in the parent: from its initiation to its result. */
function childSpans(events: HistoryEvent[]): Span[] {
  const initiated = new Map<number, HistoryEvent>();
  const spans: Span[] = [];
  for (const e of events) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) initiated.set(idOf(e.eventId), e);
    const closed =
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes;
    if (!closed) continue;
    const init = initiated.get(idOf(closed.initiatedEventId));
    if (!init) continue;
    const type = init.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? 'child';
    spans.push({
      start: timeOf(init),
      end: timeOf(e),
      rank: RANK.child,
      step: type === 'trainModel' || type === 'hyperparameterSweep' ? 'train' : type,
      kind: 'child',
    });
  }
  return spans;
}

/** The job's own run time, when the activity's result carries it (`TrainingJobOutcome.ran`). */
function jobRan(e: HistoryEvent): { start: number; end: number } | undefined {
  const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload<{ ran?: { startedAt: string; endedAt: string } }>(payload);
    if (!value?.ran) return undefined;
    return { start: Date.parse(value.ran.startedAt), end: Date.parse(value.ran.endedAt) };
  } catch {
    return undefined;
  }
}

/** The step of a local activity's marker (the SDK records the activity type in its details). */
function markerStep(e: HistoryEvent, jobStep: string): string {
  const details = e.markerRecordedEventAttributes?.details ?? {};
  for (const payloads of Object.values(details)) {
    for (const p of payloads?.payloads ?? []) {
      try {
        const value = defaultPayloadConverter.fromPayload<Record<string, unknown>>(p);
        const type = (value?.activity_type ?? value?.activityType) as string | undefined;
        if (typeof type === 'string') return type === 'runTrainingJob' ? jobStep : (STEP_OF[type] ?? type);
      } catch {
        // not JSON: not the marker's description
      }
    }
  }
  return 'workflow tasks';
}

/**
 * Gives every instant of [from, to) to its winning span (lowest rank; none: undefined) through
 * `give`; returns the time won by jobs (which `give` is not called for).
 */
function sweep(spans: Span[], from: number, to: number, give: (span: Span | undefined, ms: number) => void): number {
  const cuts = new Set<number>([from, to]);
  for (const s of spans) {
    if (s.end <= from || s.start >= to) continue;
    cuts.add(Math.max(s.start, from));
    cuts.add(Math.min(s.end, to));
  }
  const points = [...cuts].sort((a, b) => a - b);
  let jobMs = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const mid = (a + b) / 2;
    let best: Span | undefined;
    for (const s of spans) if (s.start <= mid && mid < s.end && (!best || s.rank < best.rank)) best = s;
    if (best?.kind === 'job') jobMs += b - a;
    else give(best, b - a);
  }
  return jobMs;
}
