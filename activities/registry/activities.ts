/**
 * Registry activities: one object argument each. User mistakes (unknown model or version, bad
 * name, illegal transition) become non-retryable `ApplicationFailure`s whose `type` is the
 * error's stable type (`ModelNotFound`, `VersionNotFound`, `AliasNotFound`, `InvalidTransition`,
 * `InvalidName`, `InvalidArgument`); store errors stay retryable.
 */
import { asActivity } from '../failures';
import type { BlobStore } from '../storage/types';
import { ModelRegistry } from './registry';
import type {
  ModelStatus,
  ModelVersionDetails,
  ModelVersionSummary,
  RegisterModelInput,
  RegisterModelResult,
  SetAliasResult,
  SetStatusResult,
} from './types';

export interface SetModelAliasInput {
  model: string;
  alias: string;
  /** A version number, or another alias whose version to take (e.g. `challenger`). */
  version: number | string;
  expectedVersion?: number | null;
  actor: string;
  reason: string;
  /** The fingerprint of the SSH key that signed the decision (verified by `verifyDecision`), for the audit. */
  signedBy?: string;
}

export interface SetModelStatusInput {
  model: string;
  version: number;
  status: ModelStatus;
  expectedStatus?: ModelStatus;
  actor: string;
  reason: string;
  /** The fingerprint of the SSH key that signed the decision (verified by `verifyDecision`), for the audit. */
  signedBy?: string;
}

export interface FindChampionInput {
  model: string;
  /** @default 'champion' */
  alias?: string;
}

export interface ModelVersionRef {
  model: string;
  /** A version number or an alias name. */
  version: number | string;
}

/** Builds the registry activities on `deps.store`. */
export function createRegistryActivities(deps: { store: BlobStore }) {
  const registry = new ModelRegistry(deps.store);
  return {
    /** Registers a model version; a retry with the same pipelineRun (or idempotencyKey) returns the same version. */
    async registerModel(input: RegisterModelInput): Promise<RegisterModelResult> {
      return asActivity(() => registry.registerModel(input));
    },
    /** Points an alias at a version by compare-and-swap; `changed: false` when `expectedVersion` no longer holds. */
    async setModelAlias(input: SetModelAliasInput): Promise<SetAliasResult> {
      return asActivity(async () => {
        const version = await registry.resolveVersion(input.model, input.version);
        const { expectedVersion, actor, reason, signedBy } = input;
        return registry.setAlias(input.model, input.alias, version, { expectedVersion, actor, reason, signedBy });
      });
    },
    /** Changes a version's status along the allowed transitions; `changed: false` when `expectedStatus` no longer holds. */
    async setModelStatus(input: SetModelStatusInput): Promise<SetStatusResult> {
      return asActivity(() => {
        const { expectedStatus, actor, reason, signedBy } = input;
        return registry.setStatus(input.model, input.version, input.status, {
          expectedStatus,
          actor,
          reason,
          signedBy,
        });
      });
    },
    /** One version's record with its current status and aliases; `version` may be an alias name. */
    async getModelVersion(input: ModelVersionRef): Promise<ModelVersionSummary> {
      return asActivity(async () => {
        const details = await registry.describeVersion(input.model, input.version);
        return { ...details.version, status: details.status, aliases: details.aliases };
      });
    },
    /** The version an alias points at (`champion` by default); null when the model has no versions or the alias is unset. */
    async findChampion(input: FindChampionInput): Promise<ModelVersionSummary | null> {
      return asActivity(() => registry.findByAlias(input.model, input.alias ?? 'champion'));
    },
    /** One version with lineage, metrics, status, aliases and its audit trail; `version` may be an alias name. */
    async describeModelVersion(input: ModelVersionRef): Promise<ModelVersionDetails> {
      return asActivity(() => registry.describeVersion(input.model, input.version));
    },
  };
}

export type RegistryActivities = ReturnType<typeof createRegistryActivities>;
