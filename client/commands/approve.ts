/** `mlops approve <workflowId> --comment "…" [--as actor]`: approves the candidate of a run awaiting approval. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { decideApproval } from '../decision-commands';

export function registerApprove(program: Command, ctx: () => CommandContext): void {
  program
    .command('approve')
    .description('approve the candidate of a run that awaits approval')
    .argument('<workflowId>')
    .requiredOption('--comment <text>', 'why (recorded in the history and the registry audit)')
    .option('--as <actor>', 'who approves (default: MLOPS_ACTOR, else user@host)')
    .action(async (workflowId: string, opts: { comment: string; as?: string }) => {
      await decideApproval(ctx, workflowId, 'approve', opts.as, opts.comment);
    });
}
