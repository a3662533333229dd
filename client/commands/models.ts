/**
 * `mlops models list|show|alias|status`: the model registry (versions, lineage, aliases, audit).
 * Alias and status changes are signed with the user's SSH key where one is found, and refused where
 * the store's `registry/approvers.json` requires signed decisions and the signature does not verify.
 */
import type { Command } from 'commander';
import { Argument } from 'commander';
import { ModelRegistry } from '../../activities/registry';
import type { ModelStatus } from '../../activities/registry/types';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { verifyDecision } from '../../activities/approvals';
import { DecisionNotVerifiedError } from '../../common/failures';
import { signDecision } from '../api';
import type { CommandContext } from '../context';
import { signerOf, signingOptions, type SigningFlags } from '../decision-commands';
import { EXIT } from '../exit-codes';
import { actorOption, reasonOption } from '../options';
import {
  renderAliasChange,
  renderModelList,
  renderStatusChange,
  renderVersion,
  renderVersionList,
} from '../render/models';

const STATUSES: ModelStatus[] = ['candidate', 'approved', 'rejected', 'production', 'rolled-back', 'archived'];

export function registerModels(program: Command, ctx: () => CommandContext): void {
  const models = program.command('models').description('the model registry: versions, lineage, aliases, audit');
  const registry = () => new ModelRegistry(createBlobStore(ctx().config().store));

  models
    .command('list')
    .description('list models, or the versions of <model>')
    .argument('[model]')
    .action(async (model: string | undefined) => {
      const { out } = ctx();
      const reg = registry();
      if (model === undefined) {
        out.result({ models: await reg.listModels() }, renderModelList);
        return;
      }
      out.result({ model, versions: await reg.listVersions(model) }, renderVersionList);
    });

  models
    .command('show')
    .description('one version: lineage, metrics, params, status, aliases and audit trail')
    .argument('<model>')
    .argument('<version>', 'a version number or an alias such as champion')
    .option('--card', 'print the model card (markdown) instead')
    .action(async (model: string, versionOrAlias: string, opts: { card?: boolean }) => {
      const { out } = ctx();
      const reg = registry();
      const version = await reg.resolveVersion(model, versionOrAlias);
      if (opts.card) {
        const card = await reg.modelCard(model, version);
        out.result({ model, version, card }, (r) => r.card);
        return;
      }
      out.result(await reg.describeVersion(model, version), renderVersion);
    });

  /**
   * Signs an alias or status change (`run` is `models/<model>`) and checks it as the worker checks
   * decisions, against the store's approvers file: refused (exit 1) where that file requires signed
   * decisions and the signature is missing or not by a key listed for the actor.
   */
  const signedChange = async (
    kind: string,
    fields: { model: string; version: number; decision: string; comment: string; actor: string },
    flags: SigningFlags,
  ): Promise<{ signedBy?: string }> => {
    const signature = await signDecision(signerOf(ctx, flags), { run: `models/${fields.model}`, ...fields });
    try {
      const verified = await verifyDecision(createBlobStore(ctx().config().store), {
        expected: { run: `models/${fields.model}`, ...fields },
        ...(signature ? { signature } : {}),
      });
      return verified.verified ? { signedBy: verified.fingerprint } : {};
    } catch (err) {
      if (err instanceof DecisionNotVerifiedError) throw new UserError(`${kind} refused: ${err.message}`, EXIT.failed);
      throw err;
    }
  };

  const alias = models
    .command('alias')
    .description('point <alias> (champion, challenger, any name) at <version>; audited')
    .argument('<model>')
    .argument('<alias>')
    .argument('<version>', 'a version number or another alias')
    .option('--expected-version <n>', 'only if the alias still points at <n> ("none": only if unset)');
  reasonOption(alias, { required: true, description: 'why (kept in the audit trail)' });
  actorOption(alias, 'who makes the change');
  signingOptions(alias).action(async (model: string, aliasName: string, versionArg: string, opts: AliasOptions) => {
    const { out } = ctx();
    const config = ctx().config();
    const reg = registry();
    const version = await reg.resolveVersion(model, versionArg);
    const actor = opts.actor ?? config.actor;
    const expectedVersion = parseExpected(opts.expectedVersion);
    const decision = `alias ${aliasName}`;
    const signer = await signedChange('alias', { model, version, decision, comment: opts.reason, actor }, opts);
    const result = await reg.setAlias(model, aliasName, version, {
      expectedVersion,
      actor,
      reason: opts.reason,
      ...signer,
    });
    out.result({ model, ...result, ...signer }, renderAliasChange);
    if (!result.changed && result.reason === 'expected-version-mismatch') {
      throw new UserError(
        `alias ${aliasName} of ${model} was not moved: it points at ${result.current ?? 'nothing'}`,
        EXIT.failed,
      );
    }
  });

  const status = models
    .command('status')
    .description('change the status of <version> (candidate, approved, rejected, production, rolled-back, archived)')
    .argument('<model>')
    .argument('<version>')
    .addArgument(new Argument('<status>', 'the new status').choices(STATUSES));
  reasonOption(status, { required: true, description: 'why (kept in the audit trail)' });
  actorOption(status, 'who makes the change');
  signingOptions(status).action(
    async (
      model: string,
      versionArg: string,
      to: ModelStatus,
      opts: { reason: string; actor?: string } & SigningFlags,
    ) => {
      const { out } = ctx();
      const reg = registry();
      const version = await reg.resolveVersion(model, versionArg);
      const actor = opts.actor ?? ctx().config().actor;
      const decision = `status ${to}`;
      const signer = await signedChange('status', { model, version, decision, comment: opts.reason, actor }, opts);
      const result = await reg.setStatus(model, version, to, { actor, reason: opts.reason, ...signer });
      out.result({ model, ...result, ...signer }, renderStatusChange);
    },
  );
}

interface AliasOptions extends SigningFlags {
  reason: string;
  expectedVersion?: string;
  actor?: string;
}

function parseExpected(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(
      `--expected-version: expected a version number or "none", got ${JSON.stringify(value)}`,
      EXIT.badInput,
    );
  return n;
}
