/**
 * `mlops rollout status|pause|resume|promote|abort <endpoint> [--reason "…"] [--actor name] [--key file]`: the rollout
 * running on an endpoint (the `progressiveRollout` workflow `rollout/<endpoint>` that `mlops deploy` starts).
 * `status --watch` prints it again on each change until the rollout ends (exit 4 when it rolled back).
 */
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import type { progressiveRollout } from '../../workflows/progressive-rollout';
import {
  abortUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  rolloutStatusQuery,
  type RolloutStatus,
} from '../../workflows/progressive-rollout';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { registerDecisionUpdates } from '../decision-commands';
import { printServerView, queryOrServerView } from '../live-status';
import { renderRollout } from '../render/rollout';
import { EXIT } from '../exit-codes';
import { watch } from '../progress';
import { explainWorkflowFailure } from '../workflow-errors';

export function registerRollout(program: Command, ctx: () => CommandContext): void {
  const rollout = program.command('rollout').description('the rollout running on an endpoint');
  rollout
    .command('status')
    .argument('<endpoint>')
    .description('phase, weights, step and the latest analyses')
    .option('--watch', 'print it again each time it changes, until the rollout ends')
    .action(async (endpoint: string, opts: { watch?: boolean }) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const workflowId = `rollout/${endpoint}`;
        const handle = client.workflow.getHandle<typeof progressiveRollout>(workflowId);
        if (opts.watch) {
          await handle.describe().catch(() => {
            throw new UserError(`no rollout on ${endpoint}`, 1);
          });
          await watch<RolloutStatus & { outcome?: string }>(ctx().out, {
            handle,
            read: () => handle.query(rolloutStatusQuery),
            final: () =>
              handle.result().catch((err: unknown) => {
                throw explainWorkflowFailure(err, workflowId);
              }),
            render: renderRollout,
            exitCode: (s) => (s.outcome === 'rolled-back' ? EXIT.rejected : undefined),
          });
          return;
        }
        const read = await queryOrServerView(client, workflowId, rolloutStatusQuery, {
          missing: `no rollout on ${endpoint}`,
        });
        if ('server' in read) return printServerView(ctx, read.server);
        ctx().out.result(read.live, renderRollout);
      });
    });
  registerDecisionUpdates(
    rollout,
    ctx,
    'rollout',
    [
      ['pause', pauseUpdate, 'hold the rollout at its step (analysis goes on)'],
      ['resume', resumeUpdate, 'continue a paused rollout'],
      ['promote', promoteUpdate, 'skip the remaining steps: the candidate takes all traffic'],
      ['abort', abortUpdate, 'roll back now'],
    ],
    (s) => s.endpoint,
    { names: ['promote', 'abort'], status: rolloutStatusQuery },
  );
}
