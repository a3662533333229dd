/**
 * Reading the retrain schedules for `mlops schedule …`: finding a pipeline's schedule (with a clear
 * error when there is none, or when this tool did not make it) and what the commands show of it.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { UserError } from '../../common/errors';
import { isManaged, pipelineOfSchedule, SCHEDULE_ID_PREFIX, scheduleIdOf, settingsOf, type Overlap } from './settings';

export interface ScheduledRun {
  workflowId: string;
  scheduledAt: string;
  startedAt: string;
  /** The run's status (running, completed, failed…); `unknown` when it cannot be described. */
  status: string;
}

/** What `schedule list` and `schedule describe` show of a schedule. */
export interface ScheduleView {
  pipeline: string;
  scheduleId: string;
  cron: string;
  timezone: string;
  overlap: Overlap;
  catchupWindow: string;
  pauseOnFailure: boolean;
  jitter: string;
  paused: boolean;
  note?: string;
  specFile: string;
  specHash: string;
  taskQueue: string;
  /** Runs get this id plus `-<nominal time>`. */
  workflowIdPrefix: string;
  nextRuns: string[];
  lastRun?: ScheduledRun;
  /** The most recent runs, newest first. */
  recentRuns: ScheduledRun[];
  running: string[];
  counts: { taken: number; missedCatchupWindow: number; skippedOverlap: number };
  createdAt: string;
  updatedAt?: string;
}

/** The description of pipeline `pipeline`'s schedule; a `UserError` when it has none made by this tool. */
export async function describeManaged(client: Client, pipeline: string): Promise<ScheduleDescription> {
  const scheduleId = scheduleIdOf(pipeline);
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    const known = (await managedScheduleIds(client)).map((id) => id.slice(SCHEDULE_ID_PREFIX.length));
    throw new UserError(
      `no schedule for pipeline ${pipeline} (${scheduleId}); ${
        known.length > 0 ? `scheduled pipelines: ${known.join(', ')}` : 'there are none'
      }. Schedules come from a spec's schedule section through mlops pipeline apply`,
      1,
    );
  }
  if (!isManaged(description.memo))
    throw new UserError(`${scheduleId} was not created by mlops pipeline apply; leaving it alone`, 1);
  return description;
}

/** Ids of the schedules this tool made, sorted. */
export async function managedScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX) && isManaged(s.memo)) ids.push(s.scheduleId);
  }
  return ids.sort();
}

/** The view of a schedule; `recent` runs (newest first) are described for their status. */
export async function viewOf(client: Client, d: ScheduleDescription, recent: number): Promise<ScheduleView> {
  const settings = settingsOf(d);
  const actions = [...d.info.recentActions].reverse().slice(0, recent);
  const recentRuns = await Promise.all(
    actions.map(async (a): Promise<ScheduledRun> => {
      const { workflowId, firstExecutionRunId } = a.action.workflow;
      const status = await client.workflow
        .getHandle(workflowId, undefined, { firstExecutionRunId })
        .describe()
        .then((w) => w.status.name.toLowerCase())
        .catch(() => 'unknown');
      return { workflowId, scheduledAt: iso(a.scheduledAt), startedAt: iso(a.takenAt), status };
    }),
  );
  return {
    pipeline: pipelineOfSchedule(d.scheduleId, d.memo),
    scheduleId: d.scheduleId,
    cron: settings.cron,
    timezone: settings.timezone,
    overlap: settings.overlap,
    catchupWindow: settings.catchupWindow,
    pauseOnFailure: settings.pauseOnFailure,
    jitter: settings.jitter,
    paused: d.state.paused,
    note: d.state.note || undefined,
    specFile: settings.specFile,
    specHash: settings.specHash,
    taskQueue: settings.taskQueue,
    workflowIdPrefix: d.action.workflowId,
    nextRuns: d.info.nextActionTimes.map(iso),
    lastRun: recentRuns[0],
    recentRuns,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    counts: {
      taken: d.info.numActionsTaken,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      skippedOverlap: d.info.numActionsSkippedOverlap,
    },
    createdAt: iso(d.info.createdAt),
    updatedAt: d.info.lastUpdatedAt ? iso(d.info.lastUpdatedAt) : undefined,
  };
}

/** `2026-01-01T03:00:00Z`: a time to the second, as Temporal writes it into scheduled workflow ids. */
export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
