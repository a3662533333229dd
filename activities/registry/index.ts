/**
 * The model registry: numbered versions per model with lineage (data snapshots, code version,
 * pipeline run), metrics and params; aliases (`champion`, `challenger`, any name) and statuses
 * changed only by compare-and-swap; an audit entry for every change; a model card per version.
 *
 * - ./types.ts        the records, results and store layout
 * - ./registry.ts     `ModelRegistry`, the API the CLI and activities use
 * - ./allocate.ts     version numbers: putIfAbsent on the record, then folded into the state; idempotency index
 * - ./state.ts        `state.json` compare-and-swap, with audit entries sent through an outbox
 * - ./changes.ts      alias moves and status changes, decided against the state they swap
 * - ./transitions.ts  the status state machine
 * - ./audit.ts        reading the audit trail in order
 * - ./model-card.ts   the markdown model card
 * - ./activities.ts   `createRegistryActivities`: Temporal activities with typed non-retryable failures
 * - ./validate.ts, ./keys.ts  input checks, keys (JSON-in-store helpers: ../storage/json.ts)
 */
export { ModelRegistry } from './registry';
export {
  createRegistryActivities,
  type FindChampionInput,
  type ModelVersionRef,
  type RegistryActivities,
  type SetModelAliasInput,
  type SetModelStatusInput,
} from './activities';
export { renderModelCard } from './model-card';
export { canTransition, TRANSITIONS } from './transitions';
export { modelKeys } from './keys';
export { MODEL_STATUSES, NAME_PATTERN } from './validate';
export type * from './types';
