/**
 * `mlops trials <workflowId>` and `mlops logs <workflowId>`: the trials and the training logs of a
 * run, found from the run itself (its `MlPipeline` search attribute names the pipeline).
 */
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { createBlobStore } from '../../activities/storage';
import { ExperimentTracker, runKeyOf } from '../../activities/tracking';
import { UserError } from '../../common/errors';
import { NotFoundError } from '../../common/failures';
import { MlPipeline } from '../../common/search-attributes';
import { pendingHeartbeat } from '../activity-progress';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderTrials } from '../render/experiments';
import { explainWorkflowFailure, WorkflowRunFailed } from '../workflow-errors';

export function registerRuns(program: Command, ctx: () => CommandContext): void {
  program
    .command('trials')
    .description('the trials of a training or sweep run, best first by --sort')
    .argument('<workflowId>')
    .option('--sort <metric>', 'a final metric, trial or startedAt', 'trial')
    .option('--asc', 'ascending order (default: descending for metrics)')
    .action(async (workflowId: string, opts: { sort: string; asc?: boolean }) => {
      const config = ctx().config();
      const pipeline = await withClient(config, (client) => pipelineOf(client, workflowId));
      const tracker = new ExperimentTracker(createBlobStore(config.store));
      const order = opts.asc || ['trial', 'startedAt'].includes(opts.sort) ? 'asc' : 'desc';
      const [run, trials] = await Promise.all([
        tracker.getRun(pipeline, workflowId),
        tracker.listTrials(pipeline, workflowId, { sortBy: opts.sort, order }),
      ]);
      ctx().out.result({ run, trials }, renderTrials);
    });

  program
    .command('logs')
    .description(
      "a training run's or sweep trial's (trial/<sweep id>/<k>) job log: the stored log when the job ended, the live tail while it runs",
    )
    .argument('<workflowId>')
    .option('--follow', 'keep printing new lines until the run ends')
    .action(async (workflowId: string, opts: { follow?: boolean }) => {
      const config = ctx().config();
      const store = createBlobStore(config.store);
      await withClient(config, async (client) => {
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

/** The MlPipeline search attribute of a run; a clear error when the run does not exist or has none. */
async function pipelineOf(client: Client, workflowId: string): Promise<string> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, 1);
  }
  const pipeline = description.typedSearchAttributes.get(MlPipeline);
  if (!pipeline) throw new UserError(`${workflowId} is not a training run (it has no MlPipeline)`, 1);
  return pipeline;
}

/** What `next` adds after the part of it already printed (all of it when the tail moved on). */
function newPart(printed: string, next: string): string {
  if (printed && next.startsWith(printed)) return next.slice(printed.length);
  const overlap = printed.split('\n').pop() ?? '';
  const at = overlap ? next.lastIndexOf(overlap) : -1;
  const text = at >= 0 && printed ? next.slice(at + overlap.length) : next;
  return text.endsWith('\n') || text === '' ? text : text + '\n';
}
