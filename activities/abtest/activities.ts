/**
 * A/B test activities: the outcome counts of both arms (./outcomes.ts), computed on the worker so
 * the captured requests and labels never enter the workflow's history — only the counts do.
 */
import type { BlobStore } from '../storage/types';
import { asActivity } from '../failures';
import { countAbTestOutcomes, type AbTestOutcomes, type CountAbTestOutcomesInput } from './outcomes';

export function createAbTestActivities(deps: { store: BlobStore }) {
  return {
    /** Each arm's captured requests, labelled trials and successes since the test started. */
    async countAbTestOutcomes(input: CountAbTestOutcomesInput): Promise<AbTestOutcomes> {
      return asActivity(() => countAbTestOutcomes(deps.store, input));
    },
  };
}

export type AbTestActivities = ReturnType<typeof createAbTestActivities>;
