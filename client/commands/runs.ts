/**
 * `mlops runs list [--pipeline p] [--stage s] [--status running|completed|failed|…] [--type t] [--limit n]`:
 * finds runs by a visibility query on the project's search attributes, newest first.
 */
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import { MlModelVersion, MlPipeline, MlPrimaryMetric, MlStage, MlTrigger } from '../../common/search-attributes';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { table } from '../output';

const STATUSES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
};

const WORKFLOW_TYPES: Record<string, string> = {
  retrain: 'retrainPipeline',
  train: 'trainModel',
  sweep: 'hyperparameterSweep',
  snapshot: 'datasetSnapshot',
  rollout: 'progressiveRollout',
  abtest: 'abTest',
  monitor: 'modelMonitor',
};

export interface RunRow {
  workflowId: string;
  type: string;
  status: string;
  pipeline?: string;
  stage?: string;
  modelVersion?: string;
  primaryMetric?: number;
  trigger?: string;
  startTime: string;
  closeTime?: string;
}

export function registerRuns(program: Command, ctx: () => CommandContext): void {
  const runs = program.command('runs').description('find runs by pipeline, stage and status');
  runs
    .command('list')
    .description('runs newest first (default: retrain runs)')
    .option('--pipeline <name>', 'only this pipeline (MlPipeline)')
    .option('--stage <stage>', 'only this stage (MlStage), e.g. awaiting-approval, rejected, done')
    .option('--status <status>', `only this status: ${Object.keys(STATUSES).join(', ')}`)
    .option('--type <type>', `the kind of run: ${Object.keys(WORKFLOW_TYPES).join(', ')}, or all`, 'retrain')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (opts: { pipeline?: string; stage?: string; status?: string; type: string; limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UserError(`--limit: expected an integer from 1 to 1000, got ${opts.limit}`, 2);
      const clauses: string[] = [];
      if (opts.type !== 'all') {
        const type = WORKFLOW_TYPES[opts.type];
        if (!type) throw new UserError(`--type: expected one of ${Object.keys(WORKFLOW_TYPES).join(', ')}, all`, 2);
        clauses.push(`WorkflowType = '${type}'`);
      }
      if (opts.pipeline !== undefined) clauses.push(`${MlPipeline.name} = ${quote('--pipeline', opts.pipeline)}`);
      if (opts.stage !== undefined) clauses.push(`${MlStage.name} = ${quote('--stage', opts.stage)}`);
      if (opts.status !== undefined) {
        const status = STATUSES[opts.status.toLowerCase()];
        if (!status) throw new UserError(`--status: expected one of ${Object.keys(STATUSES).join(', ')}`, 2);
        clauses.push(`ExecutionStatus = '${status}'`);
      }
      const query = clauses.join(' AND ');
      const config = ctx().config();
      const rows: RunRow[] = [];
      await withClient(config, async (client) => {
        for await (const wf of client.workflow.list({ query: query || undefined })) {
          const attrs = wf.typedSearchAttributes;
          rows.push({
            workflowId: wf.workflowId,
            type: wf.type,
            status: wf.status.name.toLowerCase(),
            pipeline: attrs.get(MlPipeline),
            stage: attrs.get(MlStage),
            modelVersion: attrs.get(MlModelVersion),
            primaryMetric: attrs.get(MlPrimaryMetric),
            trigger: attrs.get(MlTrigger),
            startTime: wf.startTime.toISOString(),
            closeTime: wf.closeTime?.toISOString(),
          });
          if (rows.length >= limit) break;
        }
      });
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

/** A visibility-query string literal; refuses quotes rather than escaping them. */
function quote(flag: string, value: string): string {
  if (!/^[A-Za-z0-9._:/@-]{1,200}$/.test(value)) throw new UserError(`${flag}: unexpected characters in ${value}`, 2);
  return `'${value}'`;
}
