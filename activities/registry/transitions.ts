/**
 * The status state machine of a model version:
 *
 *   candidate ──► approved ──► production ──► rolled-back ──► production …
 *       │            │  └───────────────────────────► rolled-back   (a rollout that never finished)
 *       └─► rejected ◄┘            └──► archived ◄──┘   (every status but archived may be archived)
 *
 * `rejected` and `archived` versions hold no alias: an alias cannot move to them, and a version
 * holding an alias cannot become either until the alias is moved or removed.
 */
import type { ModelStatus } from './types';

export const TRANSITIONS: Readonly<Record<ModelStatus, readonly ModelStatus[]>> = {
  candidate: ['approved', 'rejected', 'archived'],
  approved: ['production', 'rolled-back', 'rejected', 'archived'],
  production: ['rolled-back', 'archived'],
  'rolled-back': ['production', 'archived'],
  rejected: ['archived'],
  archived: [],
};

/** Statuses a version may not have while an alias points at it. */
export const ALIAS_FREE_STATUSES: readonly ModelStatus[] = ['rejected', 'archived'];

/** Whether a version may go from `from` to `to` directly. */
export function canTransition(from: ModelStatus, to: ModelStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Why `from → to` is refused, listing what is allowed instead. */
export function transitionRule(from: ModelStatus): string {
  const allowed = TRANSITIONS[from];
  return allowed.length === 0 ? `${from} is final` : `from ${from} a version may only become ${allowed.join(' or ')}`;
}
