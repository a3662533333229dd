/**
 * `verifyDecision`: whether a decision (approve, reject, promote, abort, stop, an alias or status
 * change) is signed by a key listed for its actor, when the spec's approvers or the registry's
 * approvers file (`registry/approvers.json`) require signed decisions. The signature is an SSHSIG
 * (`ssh-keygen -Y sign -n mlops-decision`) over the canonical message of common/signed-decision.ts;
 * it must name this decision and be at most `DECISION_SIGNATURE_WINDOW_MS` old, by the worker's clock.
 * A name listed in the approvers file is identified by the file's keys alone, so a spec (which its
 * author writes) cannot list a key of its own for a registry approver.
 */
import { DecisionNotVerifiedError, NotFoundError } from '../../common/failures';
import { APPROVERS_FILE_KEY, approversFileSchema, type ApproversFile } from '../../common/schemas/approvers';
import {
  approverKeys,
  DECISION_NAMESPACE,
  DECISION_SIGNATURE_WINDOW_MS,
  requiresSignatures,
  type ApproverEntry,
  type DecisionFields,
  type DecisionSignature,
} from '../../common/signed-decision';
import { parsePublicKeyLine, SshSignatureError, verifySignature } from '../../lib/ssh-signature';
import type { BlobStore } from '../storage/types';

export interface VerifyDecisionInput {
  /** What the signed message must say: every field but the time. */
  expected: Omit<DecisionFields, 'time'>;
  /** The approvers the spec lists (names, or names with keys); absent: only the registry's file counts. */
  approvers?: ApproverEntry[];
  /** Where `approvers` come from, for messages. @default 'the spec' */
  approversFrom?: string;
  signature?: DecisionSignature;
}

/** A verified decision names the key that signed it; an unverified one says why it was accepted anyway. */
export type VerifiedDecision =
  { verified: true; fingerprint: string; keyType: string; signedAt: string } | { verified: false; reason: string };

/** The registry's approvers file, or undefined when the store has none; a malformed one refuses every decision. */
export async function readApproversFile(store: BlobStore): Promise<ApproversFile | undefined> {
  let text: string;
  try {
    text = (await store.getBytes(APPROVERS_FILE_KEY)).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // not the parser's message: it quotes the text
    throw new DecisionNotVerifiedError(`${APPROVERS_FILE_KEY}: not valid JSON`);
  }
  const parsed = approversFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new DecisionNotVerifiedError(
      `${APPROVERS_FILE_KEY}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Checks a decision's signature against the listed keys (see the module comment); throws `DecisionNotVerifiedError`. */
export async function verifyDecision(
  store: BlobStore,
  input: VerifyDecisionInput,
  now: number = Date.now(),
): Promise<VerifiedDecision> {
  const { expected, signature } = input;
  const from = input.approversFrom ?? 'the spec';
  const file = await readApproversFile(store);
  const specRequires = requiresSignatures(input.approvers);
  const required = specRequires || file?.requireSigned === true;
  const why = specRequires
    ? `${from} requires signed decisions (an approver has a key)`
    : `${APPROVERS_FILE_KEY} requires signed decisions`;
  // a name the registry's file lists is identified by the file's keys only: a spec cannot re-key it
  const fromFile = approverKeys(file?.approvers)[expected.actor];
  const listed = fromFile
    ? fromFile.map((line) => ({ line, from: APPROVERS_FILE_KEY }))
    : (approverKeys(input.approvers)[expected.actor] ?? []).map((line) => ({ line, from }));

  if (!signature) {
    if (required) throw new DecisionNotVerifiedError(`decision not signed: ${why}; sign it with --key <ssh key>`);
    return { verified: false, reason: 'unsigned: no approver has a key and signed decisions are not required' };
  }

  let signed;
  try {
    signed = verifySignature(signature.signature, signature.message, DECISION_NAMESPACE);
  } catch (err) {
    if (err instanceof SshSignatureError) throw new DecisionNotVerifiedError(`bad ${err.message}`);
    throw err;
  }
  const { fingerprint } = signed.publicKey;
  if (listed.length === 0) {
    if (required)
      throw new DecisionNotVerifiedError(
        `signature by key ${fingerprint}, but no key is listed for ${expected.actor}: ${why}`,
      );
    return { verified: false, reason: `signed by ${fingerprint}, but no key is listed for ${expected.actor}` };
  }
  const fingerprints = listed.map(({ line, from: source }) => {
    try {
      return parsePublicKeyLine(line).fingerprint;
    } catch (err) {
      throw new DecisionNotVerifiedError(`${source}: a key of ${expected.actor}: ${(err as Error).message}`);
    }
  });
  if (!fingerprints.includes(fingerprint))
    throw new DecisionNotVerifiedError(
      `signature by key ${fingerprint} which is not listed for ${expected.actor} (listed: ${fingerprints.join(', ')})`,
    );

  const message = parseMessage(signature.message);
  const fields: (keyof Omit<DecisionFields, 'time'>)[] = ['run', 'actor', 'model', 'version', 'decision', 'comment'];
  for (const field of fields)
    if (message[field] !== expected[field])
      throw new DecisionNotVerifiedError(
        `signature is for ${field} ${JSON.stringify(message[field])}, not ${JSON.stringify(expected[field])}`,
      );
  const at = Date.parse(message.time);
  if (!Number.isFinite(at)) throw new DecisionNotVerifiedError('bad signature: the signed message has no valid time');
  const minutes = DECISION_SIGNATURE_WINDOW_MS / 60_000;
  if (now - at > DECISION_SIGNATURE_WINDOW_MS)
    throw new DecisionNotVerifiedError(
      `signature expired: signed at ${message.time}, more than ${minutes} minutes ago; sign the decision again`,
    );
  if (at - now > DECISION_SIGNATURE_WINDOW_MS)
    throw new DecisionNotVerifiedError(
      `signature is dated ${message.time}, more than ${minutes} minutes ahead of the worker's clock`,
    );
  return { verified: true, fingerprint, keyType: signed.publicKey.type, signedAt: message.time };
}

function parseMessage(text: string): DecisionFields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DecisionNotVerifiedError('bad signature: the signed message is not a decision');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DecisionNotVerifiedError('bad signature: the signed message is not a decision');
  return value as DecisionFields;
}
