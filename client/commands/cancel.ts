/** `mlops cancel <workflowId>`: cancels a running run; its training jobs stop and it ends cancelled. */
import type { Command } from 'commander';
import { cancelRun } from '../api';
import { withClient } from '../connect';
import type { CommandContext } from '../context';

export function registerCancel(program: Command, ctx: () => CommandContext): void {
  program
    .command('cancel')
    .description('cancel a run: its training jobs stop, partial results are marked, it ends cancelled')
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        await cancelRun(client, workflowId);
        out.result({ workflowId, cancelled: true }, () => `cancellation requested: ${workflowId}`);
      });
    });
}
