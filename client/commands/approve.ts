/** `mlops approve <workflowId> --comment "…" [--as actor] [--key file]`: approves the candidate of a run awaiting approval. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { decideApproval, signingOptions, type SigningFlags } from '../decision-commands';

export function registerApprove(program: Command, ctx: () => CommandContext): void {
  const command = program
    .command('approve')
    .description('approve the candidate of a run that awaits approval')
    .argument('<workflowId>')
    .requiredOption('--comment <text>', 'why (recorded in the history and the registry audit)')
    .option('--as <actor>', 'who approves (default: MLOPS_ACTOR, else user@host)');
  signingOptions(command).action(async (workflowId: string, opts: { comment: string; as?: string } & SigningFlags) => {
    await decideApproval(ctx, workflowId, 'approve', opts.as, opts.comment, opts);
  });
}
