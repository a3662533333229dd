/** `mlops cancel <workflowId>`: cancels a running run; its training jobs stop and it ends cancelled. */
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { describeRun } from '../run-lookup';

export function registerCancel(program: Command, ctx: () => CommandContext): void {
  program
    .command('cancel')
    .description('cancel a run: its training jobs stop, partial results are marked, it ends cancelled')
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        const description = await describeRun(handle, workflowId);
        if (description.status.name !== 'RUNNING')
          throw new UserError(`${workflowId} is not running (${description.status.name.toLowerCase()})`, 1);
        await handle.cancel();
        out.result({ workflowId, cancelled: true }, () => `cancellation requested: ${workflowId}`);
      });
    });
}
