/**
 * The retrain schedules `mlops pipeline apply` made (`retrain/<pipeline>`):
 *   mlops schedule list
 *   mlops schedule describe <pipeline>
 *   mlops schedule pause|unpause <pipeline> [--reason "…"]
 *   mlops schedule trigger <pipeline> [--overlap <policy>]
 *   mlops schedule backfill <pipeline> --from <time> --to <time> [--overlap <policy>] [--max <n>]
 * A schedule this tool did not make is never touched.
 */
import type { Command } from 'commander';
import { msNumberToTs, tsToMs } from '@temporalio/common/lib/time';
import { UserError } from '../../common/errors';
import { scheduleSectionSchema } from '../../common/schemas/spec';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { positiveInt } from '../options';
import { renderScheduleDescription, renderScheduleList } from '../render/schedules';
import { settingsOf, temporalOverlap, type Overlap } from '../schedules/settings';
import { describeManaged, iso, managedScheduleIds, viewOf } from '../schedules/view';
import { parseTimeRange } from '../schedules/times';
import { EXIT } from '../exit-codes';

const OVERLAPS = scheduleSectionSchema.shape.overlap.unwrap().options;

/** What a backfill's overlap policy means for its runs, when they outlast the gap between them. */
const OVERLAP_HINT: Record<Overlap, string> = {
  skip: ' (a time is skipped while an earlier run still runs)',
  'buffer-one': ' (while a run runs, one more waits and later times are skipped)',
  'buffer-all': ' (one after another)',
  'cancel-other': ' (each cancels the run before it)',
  'terminate-other': ' (each terminates the run before it)',
  'allow-all': '',
};

/** How long `trigger` waits to see the run it started. */
const TRIGGER_WAIT_MS = 5000;

export function registerSchedule(program: Command, ctx: () => CommandContext): void {
  const schedule = program
    .command('schedule')
    .description('the retrain schedules made by mlops pipeline apply (retrain/<pipeline>)');

  schedule
    .command('list')
    .description('every retrain schedule: cron, time zone, paused, next run, last run and its result')
    .action(async () => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const ids = await managedScheduleIds(client);
        const views = await Promise.all(
          ids.map(async (id) => viewOf(client, await client.schedule.getHandle(id).describe(), 1)),
        );
        ctx().out.result({ schedules: views }, renderScheduleList);
      });
    });

  schedule
    .command('describe')
    .description("a pipeline's schedule: its settings, recent runs and upcoming times")
    .argument('<pipeline>')
    .action(async (pipeline: string) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const view = await viewOf(client, await describeManaged(client, pipeline), 10);
        ctx().out.result(view, renderScheduleDescription);
      });
    });

  for (const verb of ['pause', 'unpause'] as const) {
    schedule
      .command(verb)
      .description(
        verb === 'pause'
          ? 'stop starting scheduled runs (runs in flight go on); the note records who and why'
          : 'start scheduled runs again; the note records who and why',
      )
      .argument('<pipeline>')
      .option('--reason <text>', 'why (kept in the schedule note, shown in the Temporal UI)')
      .action(async (pipeline: string, opts: { reason?: string }) => {
        const config = ctx().config();
        if (opts.reason !== undefined && opts.reason.trim() === '')
          throw new UserError('--reason: must not be empty', EXIT.badInput);
        await withClient(config, async (client) => {
          const d = await describeManaged(client, pipeline);
          const note = `${verb}d by ${config.actor}${opts.reason ? `: ${opts.reason}` : ''}`;
          const handle = client.schedule.getHandle(d.scheduleId);
          if (verb === 'pause') await handle.pause(note);
          else await handle.unpause(note);
          const was = d.state.paused ? 'paused' : 'active';
          ctx().out.result(
            { pipeline, scheduleId: d.scheduleId, paused: verb === 'pause', note, was },
            (r) => `${r.scheduleId}: ${verb}d (was ${r.was}); note: ${r.note}`,
          );
        });
      });
  }

  schedule
    .command('trigger')
    .description("start one scheduled run now, under the schedule's overlap policy unless --overlap")
    .argument('<pipeline>')
    .option('--overlap <policy>', `override the overlap policy for this run: ${OVERLAPS.join(', ')}`, overlapFlag)
    .action(async (pipeline: string, opts: { overlap?: Overlap }) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const d = await describeManaged(client, pipeline);
        const overlap = opts.overlap ?? settingsOf(d).overlap;
        const before = new Set(d.info.recentActions.map((a) => a.action.workflow.workflowId));
        const skippedBefore = d.info.numActionsSkippedOverlap;
        const handle = client.schedule.getHandle(d.scheduleId);
        await handle.trigger(temporalOverlap(overlap));
        // the run shows up among the recent actions, or the skipped-for-overlap count goes up
        let started: string | undefined;
        let skipped = false;
        for (const deadline = Date.now() + TRIGGER_WAIT_MS; !started && !skipped && Date.now() < deadline;) {
          await new Promise((r) => setTimeout(r, 200));
          const now = await handle.describe();
          started = now.info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !before.has(id));
          skipped = now.info.numActionsSkippedOverlap > skippedBefore;
        }
        const running = d.info.runningActions.map((a) => a.workflow.workflowId);
        const report = { pipeline, scheduleId: d.scheduleId, overlap, started: started ?? null, skipped, running };
        ctx().out.result(report, (r) => {
          if (r.started) return `${r.scheduleId}: started ${r.started}`;
          const why = r.skipped ? `skipped by overlap ${r.overlap}` : `none seen within ${TRIGGER_WAIT_MS / 1000}s`;
          const busy = r.running.length > 0 ? `; still running: ${r.running.join(', ')}` : '';
          return `${r.scheduleId}: no run started (${why}${busy}); --overlap allow-all starts one regardless`;
        });
      });
    });

  schedule
    .command('backfill')
    .description('start the runs the schedule would have started from --from (inclusive) to --to (exclusive)')
    .argument('<pipeline>')
    .requiredOption('--from <time>', 'ISO 8601 start, e.g. 2026-01-01 or 2026-01-01T00:00:00Z (inclusive)')
    .requiredOption('--to <time>', 'ISO 8601 end (exclusive)')
    .option(
      '--overlap <policy>',
      `overlap policy for these runs (default: the schedule's): ${OVERLAPS.join(', ')}`,
      overlapFlag,
    )
    .option('--max <n>', 'refuse when more than this many runs would start', positiveInt('--max'), 100)
    .action(async (pipeline: string, opts: { from: string; to: string; overlap?: Overlap; max: number }) => {
      const { from, to } = parseTimeRange(opts.from, opts.to);
      const config = ctx().config();
      await withClient(config, async (client) => {
        const d = await describeManaged(client, pipeline);
        const overlap = opts.overlap ?? settingsOf(d).overlap;
        // Temporal's backfill includes both ends; the range here is [from, to)
        const end = new Date(to.getTime() - 1);
        const matching = await client.workflowService.listScheduleMatchingTimes({
          namespace: config.temporal.namespace,
          scheduleId: d.scheduleId,
          // the matching-times query excludes its start, the backfill includes it
          startTime: msNumberToTs(from.getTime() - 1),
          endTime: msNumberToTs(end.getTime()),
        });
        const times = (matching.startTime ?? []).map((t) => new Date(tsToMs(t)));
        if (times.length > opts.max)
          throw new UserError(
            `${d.scheduleId}: the range holds ${times.length} scheduled times, more than --max ${opts.max}; nothing started`,
            EXIT.badInput,
          );
        if (times.length > 0)
          await client.schedule
            .getHandle(d.scheduleId)
            .backfill({ start: from, end, overlap: temporalOverlap(overlap) });
        const workflowIds = times.map((t) => `${d.action.workflowId}-${iso(t)}`);
        ctx().out.result(
          {
            pipeline,
            scheduleId: d.scheduleId,
            from: iso(from),
            to: iso(to),
            overlap,
            expectedRuns: times.length,
            workflowIds,
          },
          (r) =>
            [
              `${r.scheduleId}: backfill ${r.from} → ${r.to} (overlap ${r.overlap}): ${r.expectedRuns} run${
                r.expectedRuns === 1 ? '' : 's'
              } expected${r.expectedRuns < 2 ? '' : OVERLAP_HINT[r.overlap]}`,
              ...r.workflowIds.map((id) => `  ${id}`),
            ].join('\n'),
        );
      });
    });
}

function overlapFlag(value: string): Overlap {
  if (!(OVERLAPS as readonly string[]).includes(value))
    throw new UserError(
      `--overlap: expected one of ${OVERLAPS.join(', ')}, got ${JSON.stringify(value)}`,
      EXIT.badInput,
    );
  return value as Overlap;
}
