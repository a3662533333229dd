/**
 * `mlops status <workflowId> [--watch]`: the steps of a pipeline run (built-in or code); `--watch` prints
 * each change until it ends and exits as `mlops run` does (1 failed, 4 rejected or rolled back). A sweep's
 * id is watched too: its trials as they change, then its leaderboard.
 */
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderOutcome, renderStatus } from '../render/retrain';
import { describeRun, pipelineStatus } from '../api';
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
import { renderSweep } from './sweep';

export function registerStatus(program: Command, ctx: () => CommandContext): void {
  program
    .command('status')
    .description('the steps of a retrain run, their state and summaries, and its links')
    .argument('<workflowId>')
    .option('--watch', 'keep printing changes until the run ends')
    .action(async (workflowId: string, opts: { watch?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        if (opts.watch) {
          const handle = client.workflow.getHandle(workflowId);
          const description = await describeRun(handle);
          if (description.type === 'hyperparameterSweep') return watchSweep(ctx, client, workflowId);
          const result = await followRetrain(ctx, handle);
          out.result({ workflowId, ...result }, (r) => renderOutcome(r, { link: reportLinker(config) }));
          if (result.outcome === 'rejected' || result.outcome === 'rolled-back') process.exitCode = EXIT.rejected;
          return;
        }
        const status = await pipelineStatus(client, workflowId);
        out.result({ workflowId, ...status }, (s) => renderStatus(s, { link: reportLinker(config) }));
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
