/**
 * `verifiedSigner`: a person's decision sent by an update (approve, reject, promote, abort, stop),
 * checked by the `verifyDecision` activity before the handler accepts it (activities/approvals/).
 * It returns the fingerprint of the key that signed it, or undefined for an unverified decision
 * (no key listed, nothing required); a refusal fails the update with its reason (an
 * `ApplicationFailure`, so the workflow goes on as if the update never came). Callers call it only
 * where `patched(SIGNED_DECISIONS_PATCH)` holds, so runs started before the check replay without it.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ApproverEntry, DecisionFields, DecisionSignature } from '../../common/signed-decision';
import { DecisionNotVerifiedError, DecisionRefusedError, toApplicationFailure } from '../../common/failures';
import { light } from './activity-options';

/** The patch id of signed decisions, in every workflow that takes decisions. */
export const SIGNED_DECISIONS_PATCH = 'signed-decisions';

export async function verifiedSigner(
  expected: Omit<DecisionFields, 'time'>,
  approvers: ApproverEntry[] | undefined,
  signature: DecisionSignature | undefined,
): Promise<string | undefined> {
  try {
    const verified = await light.verifyDecision.executeWithOptions(
      { summary: `verify ${expected.decision} by ${expected.actor}` },
      [{ expected, ...(approvers ? { approvers } : {}), ...(signature ? { signature } : {}) }],
    );
    return verified.verified ? verified.fingerprint : undefined;
  } catch (err) {
    // the refusal's own message, not "activity task failed"
    if (
      err instanceof ActivityFailure &&
      err.cause instanceof ApplicationFailure &&
      err.cause.type === 'DecisionNotVerified'
    )
      throw toApplicationFailure(new DecisionNotVerifiedError(err.cause.message));
    throw err;
  }
}

/** Runs a handler's check after an await: its refusal fails the update (not the workflow task). */
export function refuseUnless(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw toApplicationFailure(new DecisionRefusedError((err as Error).message));
  }
}
