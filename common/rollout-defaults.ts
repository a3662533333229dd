/**
 * Defaults of the rollout section, shared by its schema (./schemas/spec.ts) and the zod-free step
 * plan (./rollout-steps.ts) so that neither imports the other.
 */

/** Canary steps when the spec gives none. */
export const DEFAULT_CANARY_STEPS = [10, 50, 100];
