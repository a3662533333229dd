/**
 * Commands that send one decision (an update naming who and why) to a running workflow:
 * `mlops approve|reject` to a retrain run awaiting approval, and to the workflow running on an
 * endpoint `mlops rollout pause|resume|promote|abort` and `mlops monitor pause|resume`, these with
 * the same flags, refusals and output. Approve, reject, promote and abort are signed with the
 * user's SSH key (client/api/signing.ts) where a key is found.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { DecisionSignature } from '../common/signed-decision';
import { UserError } from '../common/errors';
import { approveRun, cliSigner, rejectRun, signDecision, type DecisionSigner } from './api';
import { withClient } from './connect';
import type { CommandContext } from './context';
import { EXIT } from './exit-codes';
import { actorOption, reasonOption } from './options';
import { resolveRunId } from './run-lookup';

export interface DecisionInput {
  actor: string;
  reason: string;
  signature?: DecisionSignature;
}

/**
 * Adds `<name> <endpoint> --reason … [--actor name]` under `parent` for each update, sent to the
 * workflow `<kind>/<endpoint>`; prints `<name>: <label> <phase>` (or the status as JSON). The
 * updates named in `signed` (rollout promote / abort) also take `--key` / `--no-sign` and carry the
 * decision signed over the model version the workflow's status names.
 */
export function registerDecisionUpdates<
  S extends { endpoint: string; phase: string; model?: string; version?: number },
>(
  parent: Command,
  ctx: () => CommandContext,
  kind: 'rollout' | 'monitor',
  updates: readonly (readonly [name: string, update: UpdateDefinition<S, [DecisionInput]>, description: string])[],
  label: (status: S) => string,
  signed?: { names: readonly string[]; status: QueryDefinition<S> },
): void {
  for (const [name, update, description] of updates) {
    const command = parent.command(name).argument('<endpoint>').description(description);
    reasonOption(command, { required: true });
    actorOption(command);
    const signs = signed?.names.includes(name) === true;
    if (signs) signingOptions(command);
    command.action(async (endpoint: string, opts: { reason: string; actor?: string } & SigningFlags) => {
      const config = ctx().config();
      const actor = opts.actor ?? config.actor;
      const sign = signs ? signerOf(ctx, opts) : undefined;
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle(`${kind}/${endpoint}`);
        try {
          let signature: DecisionSignature | undefined;
          if (sign && signed) {
            const status = await handle.query(signed.status);
            signature = await signDecision(sign, {
              run: handle.workflowId,
              model: status.model ?? '',
              version: status.version ?? null,
              decision: name,
              comment: opts.reason,
              actor,
            });
          }
          const status = await handle.executeUpdate(update, {
            args: [{ actor, reason: opts.reason, ...(signature ? { signature } : {}) }],
          });
          ctx().out.result(status, (s) => `${name}: ${label(s)} ${s.phase}`);
        } catch (err) {
          if (err instanceof UserError) throw err;
          if (err instanceof WorkflowUpdateFailedError)
            throw new UserError(
              `${name} refused: ${(err.cause as Error | undefined)?.message ?? err.message}`,
              EXIT.failed,
            );
          throw new UserError(`no running ${kind} on ${endpoint}`, EXIT.failed);
        }
      });
    });
  }
}

/** How a decision is signed: `--key <file>`, or `--no-sign` (commander sets `sign: false`). */
export interface SigningFlags {
  key?: string;
  sign?: boolean;
}

/** The `--key` and `--no-sign` options of a decision command. */
export function signingOptions(command: Command): Command {
  return command
    .option(
      '--key <file>',
      'SSH key to sign the decision with: a private key file, or the .pub of a key in ssh-agent (default: MLOPS_SIGNING_KEY, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa)',
    )
    .option('--no-sign', 'send the decision unsigned (refused where signed decisions are required)');
}

/** The signer for a decision command's flags (none with --no-sign, or when no key is found). */
export function signerOf(ctx: () => CommandContext, flags: SigningFlags): DecisionSigner | undefined {
  if (flags.sign === false) {
    if (flags.key !== undefined) throw new UserError('--key and --no-sign: pick one', EXIT.badInput);
    return undefined;
  }
  return cliSigner(flags.key, ctx().config().signingKey, (line) => ctx().out.info(line));
}

/**
 * Sends `approve` or `reject` (by `actor`, else the configured actor) to a pipeline run (`run`: an
 * id, a unique prefix of one, or `latest`), signed; prints the decision.
 */
export async function decideApproval(
  ctx: () => CommandContext,
  run: string,
  kind: 'approve' | 'reject',
  actorFlag: string | undefined,
  text: string,
  flags: SigningFlags = {},
): Promise<void> {
  const { out } = ctx();
  const config = ctx().config();
  const actor = actorFlag ?? config.actor ?? os.userInfo().username;
  if (text.trim() === '') throw new UserError('--reason: must not be empty', EXIT.badInput);
  const sign = signerOf(ctx, flags);
  await withClient(config, async (client) => {
    const workflowId = await resolveRunId(client, run, { types: ['retrain'] });
    const decision =
      kind === 'approve'
        ? await approveRun(client, workflowId, { actor, comment: text, sign })
        : await rejectRun(client, workflowId, { actor, reason: text, sign });
    out.result(
      { workflowId, ...decision },
      (d) =>
        `${d.decision} by ${d.actor}${d.signedBy ? ` (signed, key ${d.signedBy})` : ' (unverified)'}: ${d.comment}`,
    );
  });
}
