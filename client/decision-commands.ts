/**
 * Commands that send one decision (an update naming who and why) to a running workflow:
 * `mlops approve|reject` to a retrain run awaiting approval, and to the workflow running on an
 * endpoint `mlops rollout pause|resume|promote|abort` and `mlops monitor pause|resume`, these with
 * the same flags, refusals and output.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { UserError } from '../common/errors';
import { approveRun, rejectRun } from './api';
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

/** Sends `approve` or `reject` (by `as`, else the configured actor) to a pipeline run; prints the decision. */
export async function decideApproval(
  ctx: () => CommandContext,
  workflowId: string,
  kind: 'approve' | 'reject',
  as: string | undefined,
  text: string,
): Promise<void> {
  const { out } = ctx();
  const config = ctx().config();
  const actor = as ?? config.actor ?? os.userInfo().username;
  if (text.trim() === '') throw new UserError(`--${kind === 'approve' ? 'comment' : 'reason'}: must not be empty`, 2);
  await withClient(config, async (client) => {
    const decision =
      kind === 'approve'
        ? await approveRun(client, workflowId, { actor, comment: text })
        : await rejectRun(client, workflowId, { actor, reason: text });
    out.result({ workflowId, ...decision }, (d) => `${d.decision} by ${d.actor}: ${d.comment}`);
  });
}
