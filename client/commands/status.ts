/**
 * `mlops status <run> [--pipeline p] [--watch]`: the steps of a pipeline run (built-in or code);
 * `--watch` prints each change until it ends. `<run>` is an id, a unique prefix of one, or `latest`.
 * It answers without a worker: an ended run's result is in its history, and when no worker answers
 * the live query, what the server holds is printed, with a note on stderr.
 */
import type { Command } from 'commander';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderOutcome, renderStatus } from '../render/retrain';
import { describeRun, readPipelineStatus, type PipelineStatusRead } from '../api';
import { followRetrain } from '../retrain-run';
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
          await describeRun(handle);
          const result = await followRetrain(ctx, handle);
          out.result({ workflowId, ...result }, renderOutcome);
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
          (s) => renderRead(s, read),
        );
      });
    });
}

function renderRead(s: Parameters<typeof renderStatus>[0], read: PipelineStatusRead): string {
  if (read.source !== 'server') return renderStatus(s);
  const parts = [
    `${s.workflowId}: ${read.runStatus}`,
    ...(s.stage !== read.runStatus ? [`stage ${s.stage}`] : []),
    `pipeline ${s.pipeline || '?'}${s.model ? ` → ${s.model}${s.version ? ` v${s.version}` : ''}` : ''}`,
  ];
  const head = parts.join(' · ');
  return read.failure ? `${head}\nfailure: ${read.failure}` : head;
}
