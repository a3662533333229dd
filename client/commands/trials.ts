/**
 * `mlops trials <workflowId> [--sort metric] [--asc]`: the trials of a training or sweep run, found
 * from the run itself (its `MlPipeline` search attribute names the pipeline).
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { ExperimentTracker } from '../../activities/tracking';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderTrials } from '../render/experiments';
import { pipelineOf } from '../run-lookup';

export function registerTrials(program: Command, ctx: () => CommandContext): void {
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
}
