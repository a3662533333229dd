/**
 * `models/<name>/state.json`: latest folded version, aliases and statuses, changed only by
 * compare-and-swap (`updateState`). Audit entries travel with the change that causes them, as an
 * outbox: they are decided inside the swap (so their times follow the order changes applied),
 * stored in the new state as `pendingAudit`, and written to `audit/` right after. The next change
 * rewrites any pending entries (putIfAbsent: at most once) before it swaps, so a crash between
 * the swap and the audit write delays an entry but never loses it; readers merge pending entries.
 */
import { randomBytes } from 'node:crypto';
import { ContentionError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { modelKeys } from './keys';
import { backoff, jsonBody, mapLimit, MAX_CAS_ATTEMPTS, readJson, readVersioned } from '../storage/json';
import type { AuditEntry, ModelState } from './types';

/** The stored form: the public state plus the audit outbox. */
export interface StoredState extends ModelState {
  pendingAudit: AuditEntry[];
}

/** What an audit entry says; the outbox adds id, model, revision and (unless given) the time. */
export type AuditDraft = Omit<AuditEntry, 'id' | 'model' | 'revision' | 'at'> & { at?: string };

/** What a change decided: nothing to write (`apply: false`), or the next aliases/statuses and audit entries. */
export type Change<T> =
  | { apply: false; result: T }
  | {
      apply: true;
      next: Pick<ModelState, 'latestVersion' | 'aliases' | 'statuses'>;
      audit: AuditDraft[];
      result: T;
    };

/** The state of a model that has none stored yet. */
export function emptyState(model: string): StoredState {
  return {
    model,
    latestVersion: 0,
    aliases: {},
    statuses: {},
    revision: 0,
    updatedAt: new Date(0).toISOString(),
    pendingAudit: [],
  };
}

/** The stored state, or `undefined` when the model has none yet. */
export async function readState(store: BlobStore, model: string): Promise<StoredState | undefined> {
  const state = await readJson<StoredState>(store, modelKeys.state(model));
  return state && { ...state, pendingAudit: state.pendingAudit ?? [] };
}

/** The state without its outbox. */
export function publicState(state: StoredState): ModelState {
  const { pendingAudit: _pending, ...rest } = state;
  return rest;
}

/** A time after `previous` (ISO): now, or 1 ms past `previous` when the clock has not moved on. */
export function nextTime(previous: string): string {
  return new Date(Math.max(Date.now(), Date.parse(previous) + 1)).toISOString();
}

/**
 * A unique id that also names the versions the entry concerns (`<random>-v3.4`): a version's audit
 * trail is found from the keys alone, without reading every entry of the model.
 */
function auditId(draft: AuditDraft): string {
  const versions = auditVersions(draft);
  const random = randomBytes(6).toString('hex');
  return versions.length === 0 ? random : `${random}-v${versions.join('.')}`;
}

/** The versions an entry concerns: its version, and the one an alias moved away from. */
export function auditVersions(entry: Pick<AuditEntry, 'action' | 'version' | 'from'>): number[] {
  const versions = entry.version === undefined ? [] : [entry.version];
  if (entry.action === 'alias' && typeof entry.from === 'number' && entry.from !== entry.version)
    versions.push(entry.from);
  return versions;
}

/** The versions named by an audit key (see `auditId`), or undefined when the key names none. */
export function auditKeyVersions(key: string): number[] | undefined {
  const match = /-v([\d.]+)\.json$/.exec(key);
  return match?.[1]?.split('.').map(Number);
}

/** Writes audit entries, each at most once (putIfAbsent on its unique key). */
async function writeAuditEntries(store: BlobStore, entries: readonly AuditEntry[]): Promise<void> {
  await mapLimit(entries, 16, (entry) =>
    store.putIfAbsent(modelKeys.audit(entry.model, entry.at, entry.id), jsonBody(entry), {
      contentType: 'application/json',
    }),
  );
}

/**
 * Reads the state, lets `decide` compute the change at time `at`, and swaps it in; on a lost race
 * backs off with jitter and decides again from the fresh state. Returns `decide`'s result.
 */
export async function updateState<T>(
  store: BlobStore,
  model: string,
  decide: (state: StoredState, at: string) => Change<T> | Promise<Change<T>>,
): Promise<T> {
  const key = modelKeys.state(model);
  const flushed = new Set<string>();
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
    const read = await readVersioned<StoredState>(store, key);
    const current = read.value ? { ...read.value, pendingAudit: read.value.pendingAudit ?? [] } : emptyState(model);
    const at = nextTime(current.updatedAt);
    const change = await decide(current, at);
    if (!change.apply) return change.result;
    // Entries a crashed writer left in the outbox go out before this state drops them.
    await writeAuditEntries(
      store,
      current.pendingAudit.filter((entry) => !flushed.has(entry.id)),
    );
    for (const entry of current.pendingAudit) flushed.add(entry.id);
    const revision = current.revision + 1;
    const audit = change.audit.map((draft): AuditEntry => ({
      ...draft,
      at: draft.at ?? at,
      id: auditId(draft),
      model,
      revision,
    }));
    const { latestVersion, aliases, statuses } = change.next;
    const next: StoredState = { model, latestVersion, aliases, statuses, revision, updatedAt: at, pendingAudit: audit };
    const swap = await store.compareAndSwap(key, read.etag, jsonBody(next), { contentType: 'application/json' });
    if (swap.swapped) {
      await writeAuditEntries(store, audit);
      return change.result;
    }
    await backoff(attempt);
  }
  throw new ContentionError(key, MAX_CAS_ATTEMPTS);
}
