/**
 * Drift monitors from the CLI:
 *   mlops monitor start <endpoint> (--pipeline <name> | --spec <file>) [--max-windows-per-run <n>]
 *   mlops monitor status <endpoint> [--watch]
 *   mlops monitor pause|resume <endpoint> --reason "…" [--actor name]
 *   mlops monitor stop <endpoint>
 * A monitor is the `modelMonitor` workflow `monitor/<endpoint>`; a retrain whose spec has a
 * `monitoring` section starts it after a successful rollout.
 */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { UserError } from '../../common/errors';
import {
  modelMonitor,
  monitorStatusQuery,
  pauseMonitorUpdate,
  resumeMonitorUpdate,
  type MonitorStatus,
} from '../../workflows/model-monitor';
import { withClient } from '../connect';
import { printServerView, queryOrServerView } from '../live-status';
import { registerDecisionUpdates } from '../decision-commands';
import type { CommandContext } from '../context';
import { positiveInt } from '../options';
import { table } from '../output';
import { prepareSpec } from './run';
import { checkPipelineFiles, findPipelineSpec, formatSpecIssues, loadPipelineSpec } from '../pipeline-spec';
import { uiUrl } from '../ui-url';
import { watch } from '../progress';

export function registerMonitor(program: Command, ctx: () => CommandContext): void {
  const monitor = program.command('monitor').description('drift monitors of serving endpoints');
  monitor
    .command('start')
    .argument('<endpoint>')
    .description("watch an endpoint for drift against its champion's training data; retrain on drift")
    .option('--pipeline <name>', 'the pipeline serving the endpoint (its spec is found in MLOPS_PIPELINES_DIR)')
    .option('--spec <file>', 'the pipeline spec file')
    .option(
      '--max-windows-per-run <n>',
      'windows one run judges before it continues as new (bounds its history; default 500)',
      positiveInt('--max-windows-per-run'),
    )
    .action(async (endpoint: string, opts: { pipeline?: string; spec?: string; maxWindowsPerRun?: number }) => {
      const { out } = ctx();
      const config = ctx().config();
      if (!opts.pipeline && !opts.spec) throw new UserError('give --pipeline <name> or --spec <file>', 2);
      const loaded = opts.spec ? loadPipelineSpec(opts.spec) : findPipelineSpec(opts.pipeline!, config.pipelinesDir);
      if (!loaded.spec.monitoring)
        throw new UserError(`${loaded.file}: monitoring: required to monitor (the policy)`, 2);
      if (loaded.spec.rollout?.endpoint !== endpoint)
        throw new UserError(
          `${loaded.file}: rollout.endpoint is ${loaded.spec.rollout?.endpoint ?? 'not set'}, not ${endpoint}`,
          2,
        );
      const issues = checkPipelineFiles(loaded);
      if (issues.length > 0) throw new UserError(formatSpecIssues(loaded.file, issues), 2);
      // its drift retrains run the code packaged now
      const { spec } = await prepareSpec(ctx, loaded.spec);
      const workflowId = `monitor/${endpoint}`;
      await withClient(config, async (client) => {
        try {
          await client.workflow.start(modelMonitor, {
            workflowId,
            taskQueue: config.taskQueue,
            args: [
              {
                endpoint,
                spec,
                specFile: loaded.file,
                trainingTaskQueue: config.trainingTaskQueue,
                servingTaskQueue: config.servingTaskQueue,
                actor: config.actor,
                ...(opts.maxWindowsPerRun ? { maxWindowsPerRun: opts.maxWindowsPerRun } : {}),
              },
            ],
            staticSummary: `monitor ${endpoint} · drift of ${spec.name} every ${spec.monitoring?.interval ?? ''}`,
            staticDetails: `pipeline **${spec.name}**, spec \`${loaded.file}\`, started by ${config.actor}`,
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError)
            throw new UserError(`${endpoint} is already monitored: ${workflowId} is running`, 1);
          throw err;
        }
        out.info(`started ${workflowId}\n${uiUrl(config, workflowId)}`);
        out.result({ workflowId, endpoint, pipeline: spec.name }, (r) => r.workflowId);
      });
    });

  monitor
    .command('status')
    .argument('<endpoint>')
    .description('baseline, recent windows with their drift, retrains started, the latest report')
    .option('--watch', 'print it again each time it changes, until the monitor stops (or Ctrl-C)')
    .action(async (endpoint: string, opts: { watch?: boolean }) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle<typeof modelMonitor>(`monitor/${endpoint}`);
        const noMonitor = () => {
          throw new UserError(`no monitor on ${endpoint} (start one with mlops monitor start ${endpoint})`, 1);
        };
        if (opts.watch) {
          await handle.describe().catch(noMonitor);
          // a stopped monitor has no result: its last status is what it ended with
          let last: MonitorStatus | undefined;
          await watch<MonitorStatus>(ctx().out, {
            handle,
            read: async () => (last = await handle.query(monitorStatusQuery)),
            final: async () => last ?? (await handle.query(monitorStatusQuery).catch(noMonitor)),
            render: renderStatus,
          });
          return;
        }
        const read = await queryOrServerView(client, handle.workflowId, monitorStatusQuery, {
          missing: `no monitor on ${endpoint} (start one with mlops monitor start ${endpoint})`,
        });
        if ('server' in read) return printServerView(ctx, read.server);
        ctx().out.result(read.live, renderStatus);
      });
    });

  registerDecisionUpdates(
    monitor,
    ctx,
    'monitor',
    [
      ['pause', pauseMonitorUpdate, 'stop judging windows until resumed'],
      ['resume', resumeMonitorUpdate, 'judge windows again'],
    ],
    (s) => `monitor/${s.endpoint}`,
  );

  monitor
    .command('stop')
    .argument('<endpoint>')
    .description('stop monitoring (a retrain it started carries on)')
    .action(async (endpoint: string) => {
      const config = ctx().config();
      const workflowId = `monitor/${endpoint}`;
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        const description = await handle.describe().catch(() => undefined);
        if (description?.status.name !== 'RUNNING') throw new UserError(`no running monitor on ${endpoint}`, 1);
        await handle.cancel();
        ctx().out.result({ workflowId, stopped: true }, () => `stopped ${workflowId}`);
      });
    });
}

function renderStatus(s: MonitorStatus): string {
  const lines = [
    `monitor/${s.endpoint} (pipeline ${s.pipeline}): ${s.phase}, every ${s.interval}, ${s.windowCount} windows`,
    `baseline: ${s.baseline ? `${s.baseline.model} v${s.baseline.version}, ${s.baseline.dataset} snapshot ${s.baseline.snapshot.slice(0, 12)}` : 'none (no champion yet)'}`,
    `drifting windows in a row: ${s.consecutive}/${s.consecutiveWindows}`,
    `retrains started: ${s.retrains.length === 0 ? 'none' : s.retrains.join(', ')}`,
  ];
  if (s.lastRetrainEndedAt)
    lines.push(
      `last retrain ended ${s.lastRetrainEndedAt}${s.cooldownUntil && s.cooldownUntil > new Date().toISOString() ? `; in cooldown until ${s.cooldownUntil}` : ''}`,
    );
  if (s.windows.length > 0)
    lines.push(
      table(
        ['WINDOW END', 'ROWS', 'VERDICT', 'ACTION'],
        s.windows.slice(-10).map((w) => [w.to, String(w.samples), w.summary, w.action ?? '']),
      ).trimEnd(),
    );
  if (s.latestReport) lines.push(`latest report: ${s.latestReport}`);
  return lines.join('\n');
}
