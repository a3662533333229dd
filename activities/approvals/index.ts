/**
 * Approvals with verified identity: `verifyDecision` checks that a decision is signed by a key
 * listed for its actor (./verify.ts), when the spec or the registry's approvers file requires it.
 */
import { asActivity } from '../failures';
import type { BlobStore } from '../storage/types';
import { verifyDecision, type VerifiedDecision, type VerifyDecisionInput } from './verify';

export { readApproversFile, verifyDecision, type VerifiedDecision, type VerifyDecisionInput } from './verify';

/** Builds the approval activities on `deps.store` (where the registry's approvers file is). */
export function createApprovalActivities(deps: { store: BlobStore }) {
  return {
    /** Verifies a decision's signature; refuses (non-retryable `DecisionNotVerified`) naming why. */
    async verifyDecision(input: VerifyDecisionInput): Promise<VerifiedDecision> {
      return asActivity(() => verifyDecision(deps.store, input));
    },
  };
}

export type ApprovalActivities = ReturnType<typeof createApprovalActivities>;
