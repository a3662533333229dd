/**
 * `mlops status <run> [--pipeline p] [--watch]`: the steps of a pipeline run (built-in or code);
 * `--watch` prints each change until it ends and exits as `mlops run` does (1 failed, 4 rejected or
 * rolled back); a sweep's id is watched too: its trials as they change, then its leaderboard. `<run>`
 * is an id, a unique prefix of one, or `latest`. It answers without a worker: an ended run's result is
 * in its history, and when no worker answers the live query, what the server holds is printed, with a
 * note on stderr.
 */
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderOutcome, renderStatus } from '../render/retrain';
import { describeRun, readPipelineStatus, type PipelineStatusRead } from '../api';
import { followRetrain } from '../retrain-run';
import { reportLinker } from '../report-links';
import { EXIT } from '../exit-codes';
import { follow, sweepChanges } from '../progress';
import {
  sweepProgressQuery,
  type hyperparameterSweep,
  type HyperparameterSweepOutput,
  type SweepProgress,
} from '../../workflows/hyperparameter-sweep';
import { renderSweep } from '../render/sweep';
import { RUN_ARGUMENT_HELP, resolveRunId } from '../run-lookup';

export function registerStatus(program: Command, ctx: () => CommandContext): void {
  program
    .command('status')
    .description('the steps of a retrain run, their state and summaries, and its links')
    .argument('<run>', RUN_ARGUMENT_HELP)
    .option('--pipeline <name>', 'with latest: the newest run of this pipeline')
    .option('--watch', 'keep printing changes until the run ends')
    .action(async (run: string, opts: { pipeline?: string; watch?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        const workflowId = await resolveRunId(client, run, { types: ['retrain'], pipeline: opts.pipeline });
        if (opts.watch) {
          const handle = client.workflow.getHandle(workflowId);
          const description = await describeRun(handle);
          if (description.type === 'hyperparameterSweep') return watchSweep(ctx, client, workflowId);
          const result = await followRetrain(ctx, handle);
          out.result({ workflowId, ...result }, (r) => renderOutcome(r, { link: reportLinker(config) }));
          if (result.outcome === 'rejected' || result.outcome === 'rolled-back') process.exitCode = EXIT.rejected;
          return;
        }
        const read = await readPipelineStatus(client, workflowId);
        if (read.source === 'server')
          out.info(
            `no worker answered: this is what the server holds; live details (the steps) need a running worker (mlops worker)`,
          );
        out.result(
          {
            workflowId,
            ...read.status,
            runStatus: read.runStatus,
            source: read.source,
            ...(read.failure ? { failure: read.failure } : {}),
          },
          (s) => renderRead(s, read, reportLinker(config)),
        );
      });
    });
}

/** Follows a sweep's trials until it ends, then prints its leaderboard (as `mlops sweep` does). */
async function watchSweep(ctx: () => CommandContext, client: Client, workflowId: string): Promise<void> {
  const { out } = ctx();
  const handle = client.workflow.getHandle<typeof hyperparameterSweep>(workflowId);
  const result = await follow<HyperparameterSweepOutput, SweepProgress>(out, {
    handle,
    followWith: `mlops status ${workflowId} --watch`,
    read: () => handle.query(sweepProgressQuery),
    // the progress names no metric: the leaderboard at the end does
    changes: sweepChanges('objective'),
  });
  out.result({ workflowId, ...result }, renderSweep);
}

function renderRead(
  s: Parameters<typeof renderStatus>[0],
  read: PipelineStatusRead,
  link: ReturnType<typeof reportLinker>,
): string {
  if (read.source !== 'server') return renderStatus(s, { link });
  const parts = [
    `${s.workflowId}: ${read.runStatus}`,
    ...(s.stage !== read.runStatus ? [`stage ${s.stage}`] : []),
    `pipeline ${s.pipeline || '?'}${s.model ? ` → ${s.model}${s.version ? ` v${s.version}` : ''}` : ''}`,
  ];
  const head = parts.join(' · ');
  return read.failure ? `${head}\nfailure: ${read.failure}` : head;
}
