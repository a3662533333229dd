/**
 * The two kinds of change to a model's state: moving an alias and changing a version's status.
 * Both decide from the state they swap against, so their checks (expected version or status,
 * allowed transition, no alias on a rejected or archived version) hold for the state they change.
 */
import type { BlobStore } from '../storage/types';
import { InvalidArgumentError, InvalidTransitionError } from '../../common/failures';
import { updateState } from './state';
import { ALIAS_FREE_STATUSES, canTransition, transitionRule } from './transitions';
import type {
  ModelStatus,
  ModelVersion,
  RemoveAliasResult,
  SetAliasOptions,
  SetAliasResult,
  SetStatusOptions,
  SetStatusResult,
} from './types';
import { validChange, validName, validStatus } from './validate';

/** Points `alias` at `target` (or removes it when `target` is null), honouring `expectedVersion`. */
export async function changeAlias(
  store: BlobStore,
  model: string,
  alias: string,
  target: ModelVersion | null,
  opts: SetAliasOptions,
): Promise<SetAliasResult | RemoveAliasResult> {
  validName('alias', alias);
  const { actor, reason } = validChange(opts);
  const expected = opts.expectedVersion;
  if (expected !== undefined && expected !== null && (!Number.isSafeInteger(expected) || expected < 1))
    throw new InvalidArgumentError(
      'expectedVersion',
      `must be a positive integer or null, got ${JSON.stringify(expected)}`,
    );
  const version = target?.version ?? null;
  return updateState<SetAliasResult | RemoveAliasResult>(store, model, (state) => {
    const current = state.aliases[alias] ?? null;
    // Checked before expectedVersion, so a retried call that already applied reports `unchanged`.
    if (current === version) return { apply: false, result: { changed: false, alias, current, reason: 'unchanged' } };
    if (expected !== undefined && expected !== current)
      return { apply: false, result: { changed: false, alias, current, reason: 'expected-version-mismatch' } };
    const aliases = { ...state.aliases };
    if (target) {
      const status = state.statuses[target.version] ?? target.initialStatus;
      if (ALIAS_FREE_STATUSES.includes(status))
        throw new InvalidTransitionError(model, target.version, `cannot point alias ${alias} at it: it is ${status}`);
      aliases[alias] = target.version;
    } else {
      delete aliases[alias];
    }
    const audit = [
      {
        actor,
        action: 'alias',
        version: version ?? current ?? undefined,
        alias,
        from: current,
        to: version,
        reason,
        ...signer(opts),
      },
    ];
    const result =
      version === null
        ? { changed: true as const, alias, previous: current as number }
        : { changed: true as const, alias, version, previous: current };
    return { apply: true, next: { ...state, aliases }, audit, result };
  });
}

/** Moves a version to `status` along the allowed transitions, honouring `expectedStatus`. */
export async function changeStatus(
  store: BlobStore,
  record: ModelVersion,
  status: ModelStatus,
  opts: SetStatusOptions,
): Promise<SetStatusResult> {
  validStatus('status', status);
  const { actor, reason } = validChange(opts);
  if (opts.expectedStatus !== undefined) validStatus('expectedStatus', opts.expectedStatus);
  const { model, version } = record;
  return updateState<SetStatusResult>(store, model, (state) => {
    const current = state.statuses[version] ?? record.initialStatus;
    if (current === status) return { apply: false, result: { changed: false, version, current, reason: 'unchanged' } };
    if (opts.expectedStatus !== undefined && opts.expectedStatus !== current)
      return { apply: false, result: { changed: false, version, current, reason: 'expected-status-mismatch' } };
    if (!canTransition(current, status))
      throw new InvalidTransitionError(
        model,
        version,
        `cannot go from ${current} to ${status}: ${transitionRule(current)}`,
        current,
        status,
      );
    const holders = Object.keys(state.aliases).filter((alias) => state.aliases[alias] === version);
    if (ALIAS_FREE_STATUSES.includes(status) && holders.length > 0)
      throw new InvalidTransitionError(
        model,
        version,
        `cannot become ${status} while alias ${holders.join(', ')} points at it: move or remove the alias first`,
        current,
        status,
      );
    const audit = [{ actor, action: 'status', version, from: current, to: status, reason, ...signer(opts) }];
    const next = { ...state, statuses: { ...state.statuses, [version]: status } };
    return { apply: true, next, audit, result: { changed: true, version, status, previous: current } };
  });
}

/** The verified signer of a change, for its audit entry (absent when the change was not signed). */
function signer(opts: { signedBy?: unknown }): { signedBy?: string } {
  if (opts.signedBy === undefined) return {};
  if (typeof opts.signedBy !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}$/.test(opts.signedBy))
    throw new InvalidArgumentError('signedBy', 'must be an SSH key fingerprint, SHA256:<43 base64 characters>');
  return { signedBy: opts.signedBy };
}
