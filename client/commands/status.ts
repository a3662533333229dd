/** `mlops status <workflowId> [--watch]`: the steps of a pipeline run (built-in or code); `--watch` prints each change until it ends. */
import type { Command } from 'commander';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderOutcome, renderStatus } from '../render/retrain';
import { describeRun, pipelineStatus } from '../api';
import { followRetrain } from '../retrain-run';
import { reportLinker } from '../report-links';

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
          await describeRun(handle);
          const result = await followRetrain(ctx, handle);
          out.result({ workflowId, ...result }, (r) => renderOutcome(r, { link: reportLinker(config) }));
          return;
        }
        const status = await pipelineStatus(client, workflowId);
        out.result({ workflowId, ...status }, (s) => renderStatus(s, { link: reportLinker(config) }));
      });
    });
}
