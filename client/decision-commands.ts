/**
 * Commands that send one decision update (actor and reason required) to the workflow running on an
 * endpoint — `mlops rollout pause|resume|promote|abort`, `mlops monitor pause|resume` — with the
 * same flags, refusals and output.
 */
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { UserError } from '../common/errors';
import { withClient } from './connect';
import type { CommandContext } from './context';

export interface DecisionInput {
  actor: string;
  reason: string;
}

/**
 * Adds `<name> <endpoint> --reason … [--as actor]` under `parent` for each update, sent to the
 * workflow `<kind>/<endpoint>`; prints `<name>: <label> <phase>` (or the status as JSON).
 */
export function registerDecisionUpdates<S extends { endpoint: string; phase: string }>(
  parent: Command,
  ctx: () => CommandContext,
  kind: 'rollout' | 'monitor',
  updates: readonly (readonly [name: string, update: UpdateDefinition<S, [DecisionInput]>, description: string])[],
  label: (status: S) => string,
): void {
  for (const [name, update, description] of updates) {
    parent
      .command(name)
      .argument('<endpoint>')
      .description(description)
      .requiredOption('--reason <text>', 'why (recorded in the history)')
      .option('--as <actor>', 'who (default: MLOPS_ACTOR, else user@host)')
      .action(async (endpoint: string, opts: { reason: string; as?: string }) => {
        const config = ctx().config();
        await withClient(config, async (client) => {
          try {
            const status = await client.workflow
              .getHandle(`${kind}/${endpoint}`)
              .executeUpdate(update, { args: [{ actor: opts.as ?? config.actor, reason: opts.reason }] });
            ctx().out.result(status, (s) => `${name}: ${label(s)} ${s.phase}`);
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError)
              throw new UserError(`${name} refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, 1);
            throw new UserError(`no running ${kind} on ${endpoint}`, 1);
          }
        });
      });
  }
}
