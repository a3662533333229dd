/** Failures of signed decisions (activities/approvals/): a decision whose signature does not identify its actor. */
import { Failure } from './failure';

/**
 * Thrown when a decision that must be signed is not, or its signature does not verify, is by a key
 * not listed for its actor, covers another decision, or is too old; the message says which.
 */
export class DecisionNotVerifiedError extends Failure<'DecisionNotVerified'> {
  override readonly name = 'DecisionNotVerifiedError';
  constructor(message: string) {
    super('DecisionNotVerified', message);
  }
}

/** Thrown when a decision comes while another (or the timeout) settles the same question; the first one stands. */
export class DecisionRefusedError extends Failure<'DecisionRefused'> {
  override readonly name = 'DecisionRefusedError';
  constructor(message: string) {
    super('DecisionRefused', message);
  }
}
