/** `mlops reject <run> --reason "…" [--actor name] [--key file]`: rejects the candidate of a run awaiting approval. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { decideApproval, signingOptions, type SigningFlags } from '../decision-commands';
import { actorOption, reasonOption } from '../options';

export function registerReject(program: Command, ctx: () => CommandContext): void {
  const command = program
    .command('reject')
    .description('reject the candidate of a run that awaits approval')
    .argument('<run>', 'a retrain run id, a unique prefix of one, or latest');
  reasonOption(command, { required: true, description: 'why (recorded in the history and the registry audit)' });
  actorOption(command, 'who rejects');
  signingOptions(command).action(async (run: string, opts: { reason: string; actor?: string } & SigningFlags) => {
    await decideApproval(ctx, run, 'reject', opts.actor, opts.reason, opts);
  });
}
