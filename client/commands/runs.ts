/**
 * `mlops runs list [--pipeline p] [--stage s] [--status running|completed|failed|…] [--type t] [--limit n]`:
 * finds runs by a visibility query on the project's search attributes, newest first.
 */
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import { listRuns, RUN_STATUSES, RUN_TYPES, RunFilterError, runsQuery, type RunFilter } from '../api';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { table } from '../output';
import { EXIT } from '../exit-codes';

export function registerRuns(program: Command, ctx: () => CommandContext): void {
  const runs = program.command('runs').description('find runs by pipeline, stage and status');
  runs
    .command('list')
    .description('runs newest first (default: retrain runs)')
    .option('--pipeline <name>', 'only this pipeline (MlPipeline)')
    .option('--stage <stage>', 'only this stage (MlStage), e.g. awaiting-approval, rejected, done')
    .option('--status <status>', `only this status: ${Object.keys(RUN_STATUSES).join(', ')}`)
    .option(
      '--type <type>',
      `the kind of run: ${Object.keys(RUN_TYPES).join(', ')}, or all (retrain: every pipeline run, code pipelines too)`,
      'retrain',
    )
    .option('--limit <n>', 'at most this many', '20')
    .action(async (opts: { pipeline?: string; stage?: string; status?: string; type: string; limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UserError(`--limit: expected an integer from 1 to 1000, got ${opts.limit}`, EXIT.badInput);
      const filter: RunFilter = {
        pipeline: opts.pipeline,
        stage: opts.stage,
        status: opts.status,
        type: opts.type,
        limit,
      };
      try {
        runsQuery(filter); // a bad filter is refused before connecting
      } catch (err) {
        if (err instanceof RunFilterError) throw new UserError(`--${err.field}: ${err.detail}`, EXIT.badInput);
        throw err;
      }
      const config = ctx().config();
      const { query, runs: rows } = await withClient(config, (client) => listRuns(client, filter));
      ctx().out.result({ query, runs: rows }, (r) =>
        r.runs.length === 0
          ? `no runs match${r.query ? ` ${r.query}` : ''}`
          : table(
              ['WORKFLOW ID', 'STATUS', 'STAGE', 'VERSION', 'METRIC', 'TRIGGER', 'STARTED'],
              r.runs.map((x) => [
                x.workflowId,
                x.status,
                x.stage ?? '',
                x.modelVersion ?? '',
                x.primaryMetric === undefined ? '' : x.primaryMetric.toPrecision(4),
                x.trigger ?? '',
                x.startTime,
              ]),
            ),
      );
    });
}
