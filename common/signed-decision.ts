/**
 * Signed decisions: what a person signs with their SSH key when they approve or reject a run (or
 * move an alias, promote or abort a rollout, stop an A/B test), and who is listed with which keys.
 * The CLI builds the message with `decisionMessage`, `ssh-keygen -Y sign -n mlops-decision` signs it,
 * and the worker's `verifyDecision` activity checks the signature and that the message is this
 * decision. Pure: workflows import it.
 */

/** The SSHSIG namespace of every decision (a signature made for git or another tool does not verify). */
export const DECISION_NAMESPACE = 'mlops-decision';

/** How long a signature is accepted after (or before: clock skew) the time it names. */
export const DECISION_SIGNATURE_WINDOW_MS = 10 * 60_000;

/** The fields a decision's signature covers. */
export interface DecisionFields {
  /** What is decided on: the run's workflow id (`retrain/churn/…`, `rollout/<endpoint>`, `models/<model>`). */
  run: string;
  model: string;
  /** The model version decided on; null when there is none (e.g. an abort before a deploy). */
  version: number | null;
  /** `approve`, `reject`, `promote`, `abort`, `stop`, `alias <name>`, `status <status>`. */
  decision: string;
  /** The comment or reason. */
  comment: string;
  actor: string;
  /** When it was signed (ISO 8601). */
  time: string;
}

/** A signature sent along with a decision: the exact message signed and the armored SSHSIG block. */
export interface DecisionSignature {
  message: string;
  signature: string;
}

/** An approver as a spec or the registry's approvers file lists them: a name, or a name with its keys. */
export type ApproverEntry = string | { name: string; key: string | string[] };

/** The canonical message of a decision: JSON with the fields in one fixed order, no spaces. */
export function decisionMessage(f: DecisionFields): string {
  return JSON.stringify({
    run: f.run,
    model: f.model,
    version: f.version,
    decision: f.decision,
    comment: f.comment,
    actor: f.actor,
    time: f.time,
  });
}

/** The names of a list of approvers (entries with keys or without). */
export function approverNames(entries: readonly ApproverEntry[] | undefined): string[] | undefined {
  return entries?.map((e) => (typeof e === 'string' ? e : e.name));
}

/** The key lines listed per name (names listed without a key are absent). */
export function approverKeys(entries: readonly ApproverEntry[] | undefined): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const e of entries ?? []) {
    if (typeof e === 'string') continue;
    (keys[e.name] ??= []).push(...(Array.isArray(e.key) ? e.key : [e.key]));
  }
  return keys;
}

/** Whether a list of approvers requires signed decisions: some approver has a key. */
export function requiresSignatures(entries: readonly ApproverEntry[] | undefined): boolean {
  return Object.keys(approverKeys(entries)).length > 0;
}
