/**
 * Version allocation. A version exists once its record `versions/<n>/version.json` exists: the
 * record is written with putIfAbsent at the first free slot above the state's `latestVersion`,
 * so versions are consecutive and a slot has exactly one record, whatever runs at the same time.
 * The state then "folds" records in (latestVersion, initial status, register audit entry), and
 * every fold helps: it folds all records below the one it came for. A record written by a
 * process that died before folding is therefore neither overwritten nor skipped: the next
 * registration folds it, and a retry of the same registration finds it by its registration key.
 *
 * Idempotency: `runs/<sha256 of key>.json` maps a registration key to its version. It is written
 * right after the record, and for every record a fold folds before the fold's swap. So a retry
 * that reads the state and then the index either finds the index, or finds its record among the
 * not-yet-folded slots it walks through (two attempts with one key converge on one slot).
 */
import { ContentionError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { modelKeys } from './keys';
import { updateState, nextTime } from './state';
import { jsonBody, mapLimit, MAX_CAS_ATTEMPTS, readJson } from '../storage/json';
import type { ModelVersion } from './types';

/** `runs/<registration key>.json`: which version a registration key produced. */
export interface RunIndexEntry {
  registrationKey: string;
  version: number;
  pipelineRun: string;
  createdAt: string;
}

const CACHE_LIMIT = 2_000;
const WRITE_CONCURRENCY = 16;

/** Reads version records, keeping the ones found (records never change). */
export class VersionRecords {
  private readonly cache = new Map<string, ModelVersion>();

  constructor(private readonly store: BlobStore) {}

  /** The record of `model` version `version`, or `undefined` when it does not exist. */
  async get(model: string, version: number): Promise<ModelVersion | undefined> {
    const id = `${model}/${version}`;
    const cached = this.cache.get(id);
    if (cached) return cached;
    const record = await readJson<ModelVersion>(this.store, modelKeys.version(model, version));
    if (record) this.remember(record);
    return record;
  }

  /** Caches a record this process has just written or read. */
  remember(record: ModelVersion): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(`${record.model}/${record.version}`, record);
  }
}

/** The record fields a registration decides; the slot decides `version` and `createdAt`. */
export type RecordDraft = Omit<ModelVersion, 'version' | 'createdAt'>;

/**
 * Writes the record in the first free slot from `from` on, or adopts a slot that already holds a
 * record with the same registration key (an earlier attempt of this registration). Slots are
 * walked one by one, so a slot is claimed only after every slot from `from` below it was read and
 * found to hold another registration: that is what makes two attempts with one key meet.
 */
export async function claimVersion(
  store: BlobStore,
  records: VersionRecords,
  draft: RecordDraft,
  from: number,
  after: string,
): Promise<{ record: ModelVersion; created: boolean }> {
  const { model } = draft;
  let version = Math.max(1, from);
  for (let lost = 0; lost < MAX_CAS_ATTEMPTS;) {
    const existing = await records.get(model, version);
    if (existing) {
      if (existing.registrationKey === draft.registrationKey) return { record: existing, created: false };
      version++;
      continue;
    }
    const record: ModelVersion = { ...draft, version, createdAt: nextTime(after) };
    const put = await store.putIfAbsent(modelKeys.version(model, version), jsonBody(record), {
      contentType: 'application/json',
    });
    if (put.created) {
      records.remember(record);
      return { record, created: true };
    }
    lost++; // a concurrent registration took the slot: the next turn reads its record (it may be ours)
  }
  throw new ContentionError(modelKeys.versionsPrefix(model), MAX_CAS_ATTEMPTS);
}

/** Writes the idempotency index entry of a record unless its key has one. */
async function putRunIndex(store: BlobStore, record: ModelVersion): Promise<{ created: boolean; key: string }> {
  const key = modelKeys.run(record.model, record.registrationKey);
  const entry: RunIndexEntry = {
    registrationKey: record.registrationKey,
    version: record.version,
    pipelineRun: record.pipelineRun,
    createdAt: record.createdAt,
  };
  return { key, created: (await store.putIfAbsent(key, jsonBody(entry), { contentType: 'application/json' })).created };
}

/** Writes the idempotency index entry of a record; returns the version the index holds for its key. */
export async function writeRunIndex(store: BlobStore, record: ModelVersion): Promise<number> {
  const { created, key } = await putRunIndex(store, record);
  if (created) return record.version;
  return (await readJson<RunIndexEntry>(store, key))?.version ?? record.version;
}

/** The version a registration key produced, if its index entry exists. */
export async function readRunIndex(store: BlobStore, model: string, registrationKey: string) {
  return readJson<RunIndexEntry>(store, modelKeys.run(model, registrationKey));
}

/** Folds every record up to `upTo` into the state (status, latestVersion, register audit entry). */
export async function foldVersions(store: BlobStore, records: VersionRecords, model: string, upTo: number) {
  const indexed = new Set<number>(); // index entries written by an earlier attempt of this fold
  await updateState(store, model, async (state) => {
    if (state.latestVersion >= upTo) return { apply: false, result: undefined };
    const versions = Array.from({ length: upTo - state.latestVersion }, (_, i) => state.latestVersion + 1 + i);
    const folded = await mapLimit(versions, WRITE_CONCURRENCY, async (version) => {
      const record = await records.get(model, version);
      // Cannot happen: a slot is claimed only when every slot below it holds a record.
      if (!record) throw new Error(`model ${model}: version ${version} has no record but version ${upTo} has`);
      if (!indexed.has(version)) await putRunIndex(store, record);
      indexed.add(version);
      return record;
    });
    const statuses = { ...state.statuses };
    for (const record of folded) statuses[record.version] ??= record.initialStatus;
    const audit = folded.map((record) => ({
      at: record.createdAt,
      actor: record.createdBy,
      action: 'register',
      version: record.version,
      to: record.initialStatus,
      reason: `registered from pipeline run ${record.pipelineRun} (trigger: ${record.trigger})`,
    }));
    return { apply: true, next: { latestVersion: upTo, aliases: state.aliases, statuses }, audit, result: undefined };
  });
}
