/**
 * Reading the audit trail: `audit/` objects merged with entries still in the state's outbox
 * (./state.ts), in the order the changes applied (time, then state revision).
 */
import type { BlobStore } from '../storage/types';
import { modelKeys } from './keys';
import { auditKeyVersions, auditVersions, readState } from './state';
import { listKeys, mapLimit, readJson } from '../storage/json';
import type { AuditEntry, ListAuditOptions } from './types';

const READ_CONCURRENCY = 16;

/** A model's audit entries in time order, optionally only those concerning one version. */
export async function listAuditEntries(
  store: BlobStore,
  model: string,
  { version }: ListAuditOptions = {},
): Promise<AuditEntry[]> {
  const concerns = (versions: number[] | undefined) => version === undefined || !versions || versions.includes(version);
  const keys = (await listKeys(store, modelKeys.auditPrefix(model))).filter((key) => concerns(auditKeyVersions(key)));
  const stored = await mapLimit(keys, READ_CONCURRENCY, (key) => readJson<AuditEntry>(store, key));
  const pending = (await readState(store, model))?.pendingAudit ?? [];
  const byId = new Map<string, AuditEntry>();
  for (const entry of [...stored, ...pending]) if (entry) byId.set(entry.id, entry);
  return [...byId.values()].filter((entry) => concerns(auditVersions(entry))).sort(compareEntries);
}

function compareEntries(a: AuditEntry, b: AuditEntry): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  const byRevision = (a.revision ?? 0) - (b.revision ?? 0);
  if (byRevision !== 0) return byRevision;
  const byVersion = (a.version ?? 0) - (b.version ?? 0);
  return byVersion !== 0 ? byVersion : a.id.localeCompare(b.id);
}
