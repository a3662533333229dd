/**
 * `mlops rollout status|pause|resume|promote|abort <endpoint> [--reason "…"] [--actor name] [--key file]`: the rollout
 * running on an endpoint (the `progressiveRollout` workflow `rollout/<endpoint>` that `mlops deploy` starts).
 */
import type { Command } from 'commander';
import {
  abortUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  rolloutStatusQuery,
} from '../../workflows/progressive-rollout';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { registerDecisionUpdates } from '../decision-commands';
import { printServerView, queryOrServerView } from '../live-status';
import { renderRollout } from '../render/rollout';

export function registerRollout(program: Command, ctx: () => CommandContext): void {
  const rollout = program.command('rollout').description('the rollout running on an endpoint');
  rollout
    .command('status')
    .argument('<endpoint>')
    .description('phase, weights, step and the latest analyses')
    .action(async (endpoint: string) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const read = await queryOrServerView(client, `rollout/${endpoint}`, rolloutStatusQuery, {
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
