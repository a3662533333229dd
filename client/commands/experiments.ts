/** `mlops experiments list|show`: tracked runs and their trials (params, metrics, status). */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { ExperimentTracker } from '../../activities/tracking';
import type { CommandContext } from '../context';
import { hiddenAlias, positiveInt, sortOptions, sortOrderOf, type SortOrder } from '../options';
import { renderRuns, renderTrials } from '../render/experiments';

export function registerExperiments(program: Command, ctx: () => CommandContext): void {
  const experiments = program.command('experiments').description('tracked runs and trials of a pipeline');
  const tracker = () => new ExperimentTracker(createBlobStore(ctx().config().store));

  experiments
    .command('list')
    .description('the runs of <pipeline>, newest first')
    .argument('<pipeline>')
    .action(async (pipeline: string) => {
      const runs = await tracker().listRuns(pipeline);
      ctx().out.result({ pipeline, runs }, renderRuns);
    });

  const show = experiments
    .command('show')
    .description('the trials of one run, best first by --sort')
    .argument('<pipeline>')
    .argument('<run>', 'the run id (the pipeline run workflow id)');
  sortOptions(show, 'a final metric, trial or startedAt', 'trial');
  hiddenAlias(show, '--sort-by <metric>', 'sort');
  show
    .option('--limit <n>', 'at most n trials', positiveInt('--limit'))
    .action(async (pipeline: string, run: string, opts: { sort: string; order?: SortOrder; limit?: number }) => {
      const t = tracker();
      const order = sortOrderOf(opts.sort, opts.order);
      const [info, trials] = await Promise.all([
        t.getRun(pipeline, run),
        t.listTrials(pipeline, run, { sortBy: opts.sort, order, limit: opts.limit }),
      ]);
      ctx().out.result({ run: info, trials }, renderTrials);
    });
}
