/**
 * `mlops logs <run> [--follow]` (an id, a unique prefix of one, or latest): the training log of a run or sweep trial, found from the run
 * itself (its `MlPipeline` search attribute names the pipeline): the stored log when the job ended,
 * the live tail while it runs.
 */
import type { Command } from 'commander';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { createBlobStore } from '../../activities/storage';
import { runKeyOf } from '../../activities/tracking';
import { NotFoundError } from '../../common/failures';
import { pendingHeartbeat } from '../activity-progress';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { pipelineOf, resolveRunId } from '../run-lookup';
import { explainWorkflowFailure, WorkflowRunFailed } from '../workflow-errors';

export function registerLogs(program: Command, ctx: () => CommandContext): void {
  program
    .command('logs')
    .description(
      "a training run's or sweep trial's (trial/<sweep id>/<k>) job log: the stored log when the job ended, the live tail while it runs",
    )
    .argument('<run>', 'a training run or trial id, a unique prefix of one, or latest (the newest training run)')
    .option('--follow', 'keep printing new lines until the run ends')
    .action(async (run: string, opts: { follow?: boolean }) => {
      const config = ctx().config();
      const store = createBlobStore(config.store);
      await withClient(config, async (client) => {
        const workflowId = await resolveRunId(client, run, { types: ['train', 'trial'] });
        const pipeline = await pipelineOf(client, workflowId);
        const handle = client.workflow.getHandle(workflowId);
        let printed = '';
        for (;;) {
          const running = (await handle.describe()).status.name === 'RUNNING';
          if (!running) {
            const { run, trial } = trackedTrialOf(workflowId);
            const key = `experiments/${pipeline}/${runKeyOf(run)}/trials/${trial}/logs/job.log`;
            const stored = await store.getBytes(key).catch((err: unknown) => {
              if (err instanceof NotFoundError) return undefined;
              throw err;
            });
            const text = stored?.toString('utf8') ?? (await failedJobLogTail(handle.result(), workflowId)) ?? printed;
            ctx().out.result({ workflowId, log: text }, (r) => newPart(printed, r.log));
            return;
          }
          const beat = await pendingHeartbeat<TrainingHeartbeat>(client, handle);
          if (beat) {
            if (!ctx().out.json) process.stdout.write(newPart(printed, beat.logTail));
            printed = beat.logTail;
          }
          if (!opts.follow) {
            if (ctx().out.json) ctx().out.result({ workflowId, log: printed }, (r) => r.log);
            return;
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      });
    });
}

/** A failed job's log is not uploaded: its last lines travel in the failure's details. */
async function failedJobLogTail(result: Promise<unknown>, workflowId: string): Promise<string | undefined> {
  try {
    await result;
    return undefined;
  } catch (err) {
    const failure = explainWorkflowFailure(err, workflowId);
    if (!(failure instanceof WorkflowRunFailed)) return undefined;
    const details = failure.details[0] as { logTail?: unknown } | undefined;
    return typeof details?.logTail === 'string' ? details.logTail : undefined;
  }
}

/** The tracked run and trial of a training run (trial 1 of itself) or of a sweep trial `trial/<sweep id>/<k>`. */
function trackedTrialOf(workflowId: string): { run: string; trial: number } {
  const m = /^trial\/(.+)\/(\d+)$/.exec(workflowId);
  return m ? { run: m[1]!, trial: Number(m[2]) } : { run: workflowId, trial: 1 };
}

/** What `next` adds after the part of it already printed (all of it when the tail moved on). */
function newPart(printed: string, next: string): string {
  if (printed && next.startsWith(printed)) return next.slice(printed.length);
  const overlap = printed.split('\n').pop() ?? '';
  const at = overlap ? next.lastIndexOf(overlap) : -1;
  const text = at >= 0 && printed ? next.slice(at + overlap.length) : next;
  return text.endsWith('\n') || text === '' ? text : text + '\n';
}
