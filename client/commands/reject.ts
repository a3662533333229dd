/** `mlops reject <workflowId> --reason "…" [--as actor] [--key file]`: rejects the candidate of a run awaiting approval. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { decideApproval, signingOptions, type SigningFlags } from '../decision-commands';

export function registerReject(program: Command, ctx: () => CommandContext): void {
  const command = program
    .command('reject')
    .description('reject the candidate of a run that awaits approval')
    .argument('<workflowId>')
    .requiredOption('--reason <text>', 'why (recorded in the history and the registry audit)')
    .option('--as <actor>', 'who rejects (default: MLOPS_ACTOR, else user@host)');
  signingOptions(command).action(async (workflowId: string, opts: { reason: string; as?: string } & SigningFlags) => {
    await decideApproval(ctx, workflowId, 'reject', opts.as, opts.reason, opts);
  });
}
