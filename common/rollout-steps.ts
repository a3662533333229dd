/**
 * The traffic weights a rollout steps through. Free of zod (the rollout section's schema is in
 * ./schemas/spec.ts), so workflow code imports it cheaply.
 */
import { DEFAULT_CANARY_STEPS } from './rollout-defaults';
import type { RolloutSection } from './schemas/spec';

/** The traffic weights (%) a rollout goes through, ending at 100. */
export function rolloutWeights(rollout: RolloutSection): number[] {
  switch (rollout.strategy) {
    case 'canary':
      return rollout.steps ?? DEFAULT_CANARY_STEPS;
    case 'linear': {
      const size = rollout.stepSize ?? 100;
      const out: number[] = [];
      for (let w = size; w < 100; w += size) out.push(w);
      return [...out, 100];
    }
    case 'all-at-once':
      return [100];
  }
}
