/**
 * `mlops trials <run> [--sort metric] [--order asc|desc]`: the trials of a training or sweep run,
 * found from the run itself (its `MlPipeline` search attribute names the pipeline). `<run>` is an
 * id, a unique prefix of one, or `latest` (the newest training or sweep run).
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { ExperimentTracker } from '../../activities/tracking';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { hiddenAlias, sortOptions, sortOrderOf, type SortOrder } from '../options';
import { renderTrials } from '../render/experiments';
import { RUN_ARGUMENT_HELP, pipelineOf, resolveRunId } from '../run-lookup';

export function registerTrials(program: Command, ctx: () => CommandContext): void {
  const command = program
    .command('trials')
    .description('the trials of a training or sweep run, best first by --sort')
    .argument('<run>', RUN_ARGUMENT_HELP)
    .option('--pipeline <name>', 'with latest: the newest run of this pipeline');
  sortOptions(command, 'a final metric, trial or startedAt', 'trial');
  hiddenAlias(command, '--asc', 'order', 'asc');
  command.action(async (run: string, opts: { sort: string; order?: SortOrder; pipeline?: string }) => {
    const config = ctx().config();
    const { workflowId, pipeline } = await withClient(config, async (client) => {
      const id = await resolveRunId(client, run, { types: ['train', 'sweep'], pipeline: opts.pipeline });
      return { workflowId: id, pipeline: await pipelineOf(client, id) };
    });
    const tracker = new ExperimentTracker(createBlobStore(config.store));
    const order = sortOrderOf(opts.sort, opts.order);
    const [info, trials] = await Promise.all([
      tracker.getRun(pipeline, workflowId),
      tracker.listTrials(pipeline, workflowId, { sortBy: opts.sort, order }),
    ]);
    ctx().out.result({ run: info, trials }, renderTrials);
  });
}
