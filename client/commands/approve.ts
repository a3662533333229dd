/** `mlops approve <run> --reason "…" [--actor name] [--key file]`: approves the candidate of a run awaiting approval. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { decideApproval, signingOptions, type SigningFlags } from '../decision-commands';
import { actorOption, reasonOption } from '../options';

export function registerApprove(program: Command, ctx: () => CommandContext): void {
  const command = program
    .command('approve')
    .description('approve the candidate of a run that awaits approval')
    .argument('<run>', 'a retrain run id, a unique prefix of one, or latest');
  reasonOption(command, {
    required: true,
    description: 'why (recorded in the history and the registry audit)',
    oldSpelling: '--comment <text>',
  });
  actorOption(command, 'who approves');
  signingOptions(command).action(async (run: string, opts: { reason: string; actor?: string } & SigningFlags) => {
    await decideApproval(ctx, run, 'approve', opts.actor, opts.reason, opts);
  });
}
