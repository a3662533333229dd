/** Human renderings of the retrain schedules (`mlops schedule …`). */
import { table } from '../output';
import type { ScheduleView } from '../schedules/view';

export function renderScheduleList(r: { schedules: ScheduleView[] }): string {
  if (r.schedules.length === 0) return 'no schedules: declare one in a spec and run mlops pipeline apply';
  return table(
    ['PIPELINE', 'CRON', 'TZ', 'PAUSED', 'NEXT RUN', 'LAST RUN', 'RESULT'],
    r.schedules.map((s) => [
      s.pipeline,
      s.cron,
      s.timezone,
      s.paused ? 'yes' : 'no',
      s.paused ? '—' : (s.nextRuns[0] ?? '—'),
      s.lastRun?.scheduledAt ?? '—',
      s.lastRun?.status ?? '—',
    ]),
  );
}

export function renderScheduleDescription(s: ScheduleView): string {
  const fields: [string, string][] = [
    ['cron', `${s.cron} (${s.timezone})`],
    ['overlap', s.overlap],
    ['catchup window', s.catchupWindow],
    ['pause on failure', s.pauseOnFailure ? 'yes' : 'no'],
    ['jitter', s.jitter],
    ['spec', `${s.specFile} (${s.specHash.slice(0, 19)})`],
    ['task queue', s.taskQueue],
    [
      'runs',
      `${s.workflowIdPrefix}-<time>; ${s.counts.taken} started, ${s.counts.skippedOverlap} skipped (overlap), ${s.counts.missedCatchupWindow} missed (catchup window)`,
    ],
    ['created', `${s.createdAt}${s.updatedAt ? `, updated ${s.updatedAt}` : ''}`],
  ];
  const lines = [
    `${s.scheduleId}: pipeline ${s.pipeline}, ${s.paused ? 'PAUSED' : 'active'}${s.note ? ` (${s.note})` : ''}`,
    ...fields.map(([k, v]) => `${`${k}:`.padEnd(18)}${v}`),
    '',
    `upcoming:${s.paused ? ' (paused)' : ''}`,
    ...(s.nextRuns.length > 0 ? s.nextRuns.slice(0, 5).map((t) => `  ${t}`) : ['  none']),
    '',
    'recent runs:',
  ];
  if (s.recentRuns.length === 0) lines.push('  none yet');
  else
    lines.push(
      ...table(
        ['SCHEDULED', 'STARTED', 'STATUS', 'WORKFLOW'],
        s.recentRuns.map((r) => [r.scheduledAt, r.startedAt, r.status, r.workflowId]),
      )
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return lines.join('\n');
}
