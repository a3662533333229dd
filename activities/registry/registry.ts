/** `ModelRegistry`: versions with lineage, aliases and statuses, every change audited (layout: ./types.ts). */
import type { BlobStore } from '../storage/types';
import { claimVersion, foldVersions, readRunIndex, VersionRecords, writeRunIndex, type RecordDraft } from './allocate';
import { listAuditEntries } from './audit';
import { AliasNotFoundError, ModelNotFoundError, VersionNotFoundError } from '../../common/failures';
import { modelKeys, registrationKeyOf, versionOfKey } from './keys';
import { renderModelCard } from './model-card';
import { changeAlias, changeStatus } from './changes';
import { emptyState, publicState, readState } from './state';
import { listKeys, mapLimit } from '../storage/json';
import type {
  AuditEntry,
  ListAuditOptions,
  ModelState,
  ModelStatus,
  ModelVersion,
  ModelVersionDetails,
  ModelVersionSummary,
  RegisterModelInput,
  RegisterModelResult,
  RemoveAliasOptions,
  RemoveAliasResult,
  SetAliasOptions,
  SetAliasResult,
  SetStatusOptions,
  SetStatusResult,
} from './types';
import { validName, validRegistration, validVersion } from './validate';

const READ_CONCURRENCY = 16;
/** `models/_index/<name>`: one marker per model, so listing models does not list every object. */
const MODEL_INDEX = 'models/_index/';

/** The model registry on a `BlobStore`. Safe for many workers at once: every change is a compare-and-swap. */
export class ModelRegistry {
  private readonly records: VersionRecords;

  constructor(private readonly store: BlobStore) {
    this.records = new VersionRecords(store);
  }

  /** Registers a new version (consecutive per model); a retry with the same idempotency key returns the same version. */
  async registerModel(input: RegisterModelInput): Promise<RegisterModelResult> {
    const valid = validRegistration(input);
    const { model } = valid;
    const registrationKey = registrationKeyOf(valid.idempotencyKey ?? valid.pipelineRun);
    // The state first, then the index: an index entry folded away before this read is seen below.
    const state = (await readState(this.store, model)) ?? emptyState(model);
    const indexed = await readRunIndex(this.store, model, registrationKey);
    let version: number;
    let created = false;
    if (indexed) version = indexed.version;
    else ({ version, created } = await this.claim(valid, registrationKey, state));
    // Also when this call created nothing: it finishes what an interrupted attempt left undone.
    await foldVersions(this.store, this.records, model, version);
    await this.store.putIfAbsent(`${MODEL_INDEX}${model}`, '{}\n', { contentType: 'application/json' });
    await this.storeCard(model, version);
    return { model, version, created };
  }

  private async claim(
    valid: ReturnType<typeof validRegistration>,
    registrationKey: string,
    state: ModelState,
  ): Promise<{ version: number; created: boolean }> {
    const draft = toDraft(valid, registrationKey);
    const { record, created } = await claimVersion(
      this.store,
      this.records,
      draft,
      state.latestVersion + 1,
      state.updatedAt,
    );
    const indexed = await writeRunIndex(this.store, record);
    // Cannot happen (see ./allocate.ts): two records for one registration key.
    if (indexed !== record.version)
      throw new Error(`model ${record.model}: registration key maps to versions ${indexed} and ${record.version}`);
    return { version: record.version, created };
  }

  /** Points `alias` at `version` (compare-and-swap on the state; audited). */
  async setAlias(model: string, alias: string, version: number, opts: SetAliasOptions): Promise<SetAliasResult> {
    validName('model', model);
    const record = await this.requireVersion(model, validVersion('version', version));
    const result = (await changeAlias(this.store, model, alias, record, opts)) as SetAliasResult;
    // `unchanged` too: a retry after a crash between the swap and the card write completes the card.
    if (result.changed) await this.refreshCards(model, [result.version, result.previous]);
    else if (result.reason === 'unchanged') await this.refreshCards(model, [version]);
    return result;
  }

  /** Removes `alias` (compare-and-swap; audited); removing an unset alias changes nothing. */
  async removeAlias(model: string, alias: string, opts: RemoveAliasOptions): Promise<RemoveAliasResult> {
    validName('model', model);
    await this.getState(model);
    const result = (await changeAlias(this.store, model, alias, null, opts)) as RemoveAliasResult;
    if (result.changed) await this.refreshCards(model, [result.previous]);
    return result;
  }

  /** Moves a version to `status` along the state machine in ./transitions.ts (compare-and-swap; audited). */
  async setStatus(
    model: string,
    version: number,
    status: ModelStatus,
    opts: SetStatusOptions,
  ): Promise<SetStatusResult> {
    validName('model', model);
    const record = await this.requireVersion(model, validVersion('version', version));
    const result = await changeStatus(this.store, record, status, opts);
    if (result.changed || result.reason === 'unchanged') await this.refreshCards(model, [version]);
    return result;
  }

  /** The immutable record of one version. */
  async getVersion(model: string, version: number): Promise<ModelVersion> {
    validName('model', model);
    return this.requireVersion(model, validVersion('version', version));
  }

  /** Every version of a model in version order, with its current status and aliases. */
  async listVersions(model: string): Promise<ModelVersionSummary[]> {
    validName('model', model);
    const versions = (await listKeys(this.store, modelKeys.versionsPrefix(model)))
      .map((key) => versionOfKey(model, key))
      .filter((version): version is number => version !== undefined)
      .sort((a, b) => a - b);
    if (versions.length === 0) throw new ModelNotFoundError(model);
    const [state, records] = await Promise.all([
      this.getState(model),
      mapLimit(versions, READ_CONCURRENCY, (version) => this.requireVersion(model, version)),
    ]);
    return records.map((record) => summarise(record, state));
  }

  /**
   * The model's aliases and statuses. Version records not yet folded into the stored state (a
   * registration still running, or interrupted) are included: records are the truth for existence.
   */
  async getState(model: string): Promise<ModelState> {
    validName('model', model);
    const state = publicState((await readState(this.store, model)) ?? emptyState(model));
    const statuses = { ...state.statuses };
    let latestVersion = state.latestVersion;
    for (;;) {
      const record = await this.records.get(model, latestVersion + 1);
      if (!record) break;
      statuses[record.version] ??= record.initialStatus;
      latestVersion = record.version;
    }
    if (latestVersion === 0) throw new ModelNotFoundError(model);
    return { ...state, latestVersion, statuses };
  }

  /** The version a number or alias name designates (`3`, `'3'`, `'champion'`). */
  async resolveVersion(model: string, versionOrAlias: number | string): Promise<number> {
    validName('model', model);
    if (typeof versionOrAlias === 'number' || /^\d+$/.test(versionOrAlias)) {
      const version = validVersion('version', Number(versionOrAlias));
      await this.requireVersion(model, version);
      return version;
    }
    const alias = validName('alias', versionOrAlias);
    const version = (await this.getState(model)).aliases[alias];
    if (version === undefined) throw new AliasNotFoundError(model, alias);
    return version;
  }

  /** The version `alias` points at, with its status and aliases; null when the model has no versions or the alias is unset. */
  async findByAlias(model: string, alias: string): Promise<ModelVersionSummary | null> {
    validName('model', model);
    validName('alias', alias);
    let state: ModelState;
    try {
      state = await this.getState(model);
    } catch (error) {
      if (error instanceof ModelNotFoundError) return null;
      throw error;
    }
    const version = state.aliases[alias];
    if (version === undefined) return null;
    return summarise(await this.requireVersion(model, version), state);
  }

  /** One version with everything known about it: record, status, aliases, audit trail, card key. */
  async describeVersion(model: string, versionOrAlias: number | string): Promise<ModelVersionDetails> {
    const version = await this.resolveVersion(model, versionOrAlias);
    const [record, state, audit] = await Promise.all([
      this.requireVersion(model, version),
      this.getState(model),
      this.listAudit(model, { version }),
    ]);
    const { status, aliases } = summarise(record, state);
    return { version: record, status, aliases, audit, modelCardKey: modelKeys.card(model, version) };
  }

  /** The audit trail of a model (or of one version), in the order the changes applied. */
  async listAudit(model: string, options: ListAuditOptions = {}): Promise<AuditEntry[]> {
    validName('model', model);
    if (options.version !== undefined) validVersion('version', options.version);
    return listAuditEntries(this.store, model, options);
  }

  /** Names of all registered models, sorted. */
  async listModels(): Promise<string[]> {
    return (await listKeys(this.store, MODEL_INDEX)).map((key) => key.slice(MODEL_INDEX.length)).sort();
  }

  /** The model card of a version (markdown), rendered from its current state. */
  async modelCard(model: string, versionOrAlias: number | string): Promise<string> {
    return (await this.renderCard(model, versionOrAlias)).card;
  }

  private async renderCard(model: string, versionOrAlias: number | string) {
    const details = await this.describeVersion(model, versionOrAlias);
    const { version: record, status, aliases, audit } = details;
    return {
      key: details.modelCardKey,
      card: renderModelCard({ record, status, aliases, audit, source: this.store.uri }),
    };
  }

  /** Rewrites the stored card of a version (`versions/<n>/model-card.md`) from its current state. */
  private async storeCard(model: string, version: number): Promise<void> {
    const { key, card } = await this.renderCard(model, version);
    await this.store.put(key, card, { contentType: 'text/markdown; charset=utf-8' });
  }

  private async refreshCards(model: string, versions: (number | null)[]): Promise<void> {
    const distinct = [...new Set(versions.filter((version): version is number => version !== null))];
    await Promise.all(distinct.map((version) => this.storeCard(model, version)));
  }

  private async requireVersion(model: string, version: number): Promise<ModelVersion> {
    const record = await this.records.get(model, version);
    if (record) return record;
    if (version === 1 || !(await this.records.get(model, 1))) throw new ModelNotFoundError(model);
    throw new VersionNotFoundError(model, version);
  }
}

/** The record fields of a registration, picked one by one so stray input fields stay out of the record. */
function toDraft(input: ReturnType<typeof validRegistration>, registrationKey: string): RecordDraft {
  const { model, artifactUri, metrics, params, trainingSnapshot, evaluationSnapshot, codeVersion, pipelineRun } = input;
  return {
    model,
    artifactUri,
    metrics,
    params,
    trainingSnapshot: { dataset: trainingSnapshot.dataset, id: trainingSnapshot.id },
    ...(evaluationSnapshot && {
      evaluationSnapshot: { dataset: evaluationSnapshot.dataset, id: evaluationSnapshot.id },
    }),
    ...(input.steps !== undefined && {
      steps: input.steps.map(({ step, dataset, id }) => ({ step, dataset, id })),
    }),
    codeVersion,
    pipelineRun,
    trigger: input.trigger,
    ...(input.description !== undefined && { description: input.description }),
    ...(input.tags !== undefined && { tags: input.tags }),
    createdBy: input.actor,
    initialStatus: input.status,
    registrationKey,
  };
}

function summarise(record: ModelVersion, state: ModelState): ModelVersionSummary {
  const status = state.statuses[record.version] ?? record.initialStatus;
  const aliases = Object.entries(state.aliases)
    .filter(([, version]) => version === record.version)
    .map(([alias]) => alias)
    .sort();
  return { ...record, status, aliases };
}
