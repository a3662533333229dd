/** `mlops cancel <run>` (an id, a unique prefix of one, or latest): cancels a running run; its training jobs stop and it ends cancelled. */
import type { Command } from 'commander';
import { cancelRun } from '../api';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { RUN_ARGUMENT_HELP, resolveRunId } from '../run-lookup';

export function registerCancel(program: Command, ctx: () => CommandContext): void {
  program
    .command('cancel')
    .description('cancel a run: its training jobs stop, partial results are marked, it ends cancelled')
    .argument('<run>', RUN_ARGUMENT_HELP)
    .action(async (run: string) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        const workflowId = await resolveRunId(client, run, { types: ['retrain', 'train', 'sweep', 'snapshot'] });
        await cancelRun(client, workflowId);
        out.result({ workflowId, cancelled: true }, () => `cancellation requested: ${workflowId}`);
      });
    });
}
