/** `mlops experiments list|show`: tracked runs and their trials (params, metrics, status). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { ExperimentTracker } from '../../activities/tracking';
import type { CommandContext } from '../context';
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

  experiments
    .command('show')
    .description('the trials of one run, best first by --sort-by')
    .argument('<pipeline>')
    .argument('<run>', 'the run id (the pipeline run workflow id)')
    .option('--sort-by <metric>', 'a final metric, trial or startedAt', 'trial')
    .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']))
    .option('--limit <n>', 'at most n trials', (v) => Number(v))
    .action(async (pipeline: string, run: string, opts: { sortBy: string; order?: 'asc' | 'desc'; limit?: number }) => {
      const t = tracker();
      const [info, trials] = await Promise.all([
        t.getRun(pipeline, run),
        t.listTrials(pipeline, run, { sortBy: opts.sortBy, order: opts.order, limit: opts.limit }),
      ]);
      ctx().out.result({ run: info, trials }, renderTrials);
    });
}
