/**
 * Model registry types. Store layout (docs/architecture.md):
 *   models/<name>/versions/<n>/version.json   the immutable version record (lineage, metrics, params)
 *   models/<name>/versions/<n>/model-card.md  the model card
 *   models/<name>/state.json                  aliases and statuses (compare-and-swap only)
 *   models/<name>/audit/<time>-<id>.json      one entry per change (who, when, what, why)
 *   models/<name>/runs/<key hash>.json        idempotency index: a retried registerModel returns its version
 */

export type ModelStatus = 'candidate' | 'approved' | 'rejected' | 'production' | 'rolled-back' | 'archived';

export type Trigger = 'manual' | 'schedule' | 'drift' | 'ci' | string;

export interface RegisterModelInput {
  model: string;
  artifactUri: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  trainingSnapshot: { dataset: string; id: string };
  evaluationSnapshot?: { dataset: string; id: string };
  /** Outputs of the pipeline's own steps (`runStep`) that led to this version, each a content-addressed snapshot. */
  steps?: Array<{ step: string; dataset: string; id: string }>;
  codeVersion: string;
  /** Workflow id of the pipeline run that produced it. */
  pipelineRun: string;
  trigger: Trigger;
  /** Initial status. @default 'candidate' */
  status?: ModelStatus;
  description?: string;
  tags?: Record<string, string>;
  /** Who registers (a person or `workflow:<id>`). @default `pipeline:<pipelineRun>` */
  actor?: string;
  /** A retried call with the same key returns the version it registered. @default pipelineRun */
  idempotencyKey?: string;
}

/** What `registerModel` returns: `created: false` when the idempotency key had registered this version before. */
export interface RegisterModelResult {
  model: string;
  version: number;
  created: boolean;
}

export interface ModelVersion extends Omit<RegisterModelInput, 'status' | 'idempotencyKey' | 'actor'> {
  version: number;
  createdAt: string;
  createdBy: string;
  /** The status the version was registered with; its current status is in the model state. */
  initialStatus: ModelStatus;
  /** sha256 (hex) of the idempotency key: a retried registration recognises its own record by it. */
  registrationKey: string;
}

/** A version record with its current status and the aliases pointing at it. */
export interface ModelVersionSummary extends ModelVersion {
  status: ModelStatus;
  aliases: string[];
}

export interface ModelState {
  model: string;
  /** Highest version folded into this state; version records above it may exist (readers check). */
  latestVersion: number;
  aliases: Record<string, number>;
  statuses: Record<string, ModelStatus>;
  /** Incremented by every change of the state. */
  revision: number;
  /** Time of the last change; strictly increasing, so audit entries sort in the order changes applied. */
  updatedAt: string;
}

export interface AuditEntry {
  /** Unique id of the entry (the end of its key). */
  id: string;
  model: string;
  at: string;
  actor: string;
  /** e.g. `register`, `alias`, `status` */
  action: string;
  version?: number;
  alias?: string;
  from?: unknown;
  to?: unknown;
  reason: string;
  /** The fingerprint (`SHA256:…`) of the SSH key whose signature of this decision was verified; absent: unverified. */
  signedBy?: string;
  /** The state revision this change produced. */
  revision?: number;
}

export interface SetAliasOptions {
  /** Only move the alias if it still points at this version (null: only if unset). */
  expectedVersion?: number | null;
  actor: string;
  reason: string;
  /** The verified signer's key fingerprint, recorded in the audit entry. */
  signedBy?: string;
}

export type SetAliasResult =
  | { changed: true; alias: string; version: number; previous: number | null }
  | { changed: false; alias: string; current: number | null; reason: 'expected-version-mismatch' | 'unchanged' };

/** Options of `removeAlias`: as for `setAlias`. */
export type RemoveAliasOptions = SetAliasOptions;

export type RemoveAliasResult =
  | { changed: true; alias: string; previous: number }
  | { changed: false; alias: string; current: number | null; reason: 'expected-version-mismatch' | 'unchanged' };

export interface SetStatusOptions {
  expectedStatus?: ModelStatus;
  actor: string;
  reason: string;
  /** The verified signer's key fingerprint, recorded in the audit entry. */
  signedBy?: string;
}

export type SetStatusResult =
  | { changed: true; version: number; status: ModelStatus; previous: ModelStatus }
  | { changed: false; version: number; current: ModelStatus; reason: 'expected-status-mismatch' | 'unchanged' };

export interface ModelVersionDetails {
  version: ModelVersion;
  status: ModelStatus;
  /** Aliases pointing at this version. */
  aliases: string[];
  audit: AuditEntry[];
  modelCardKey: string;
}

export interface ListAuditOptions {
  /** Only entries about this version (registration, its status changes, aliases moved to or from it). */
  version?: number;
}
