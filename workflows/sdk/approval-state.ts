/**
 * The approval of a run as a small state class: the `approve` / `reject` update handlers only call
 * into it (validators refuse an outsider, a missing reason, a run not awaiting approval, a second
 * decision). `pipelineRun` installs it at the start, so an early `mlops approve` gets a clear answer;
 * `awaitApproval` opens it.
 *
 * A person's decision is checked by the `verifyDecision` activity before it is accepted: when the
 * spec's approvers (or the registry's approvers file) have keys, it must be signed by a key listed
 * for its actor, and the key's fingerprint is recorded in the decision (`signedBy`). A refused
 * decision fails its update with the reason; the run keeps waiting. Runs started before this check
 * existed replay without it (`patched('signed-decisions')`).
 */
import { patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { approverNames, type ApproverEntry, type DecisionSignature } from '../../common/signed-decision';
import { approveUpdate, rejectUpdate } from './messages';
import type { ApprovalDecision, ApproveInput, RejectInput } from './types';
import { now } from './util';
import { refuseUnless, SIGNED_DECISIONS_PATCH, verifiedSigner } from './verify-decision';

/** The version a decision is about (what a signature must name). */
export interface ApprovalTarget {
  model: string;
  version: number;
}

export class ApprovalState {
  /** The decision, once there is one (a person's, the timeout's or the policy's). */
  decided: ApprovalDecision | undefined;
  /** Who may decide; anyone when unset. */
  approvers: string[] | undefined;
  private entries: ApproverEntry[] | undefined;
  private target: ApprovalTarget | undefined;
  private open = false;

  /** `subject` names what is decided on (the pipeline); `stage` tells where the run is, for refusals. */
  constructor(
    private readonly subject: string,
    approvers: ApproverEntry[] | undefined,
    private readonly stage: () => string,
  ) {
    this.entries = approvers;
    this.approvers = approverNames(approvers);
  }

  /** Installs the `approve` and `reject` handlers with their validators. */
  install(): void {
    setHandler(
      approveUpdate,
      (arg) =>
        this.decideChecked({ decision: 'approved', actor: arg.actor, comment: arg.comment ?? '' }, arg.signature),
      {
        validator: (arg: ApproveInput) => {
          this.checkActor(arg?.actor);
          this.checkOpen();
        },
      },
    );
    setHandler(
      rejectUpdate,
      (arg) => this.decideChecked({ decision: 'rejected', actor: arg.actor, comment: arg.reason }, arg.signature),
      {
        validator: (arg: RejectInput) => {
          this.checkActor(arg?.actor);
          if (typeof arg?.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
          this.checkOpen();
        },
      },
    );
  }

  /** From now on a person may decide on `target` (until someone does or `close()`). */
  openFor(approvers: ApproverEntry[] | undefined, target?: ApprovalTarget): void {
    this.entries = approvers;
    this.approvers = approverNames(approvers);
    this.target = target;
    this.open = true;
  }

  close(): void {
    this.open = false;
  }

  /** Records a decision that no person made (`timeout` or `policy`), unless one was made. */
  settle(decision: Omit<ApprovalDecision, 'at'>): ApprovalDecision {
    this.decided ??= { ...decision, at: now() };
    this.open = false;
    return this.decided;
  }

  /**
   * Verifies a person's decision (its signature, when one is required or given), then records it.
   * Runs started before signed decisions record it at once, as they did (no activity).
   */
  private decideChecked(
    d: Pick<ApprovalDecision, 'decision' | 'actor' | 'comment'>,
    signature: DecisionSignature | undefined,
  ): ApprovalDecision | Promise<ApprovalDecision> {
    if (!patched(SIGNED_DECISIONS_PATCH)) return this.record(d);
    const expected = {
      run: workflowInfo().workflowId,
      model: this.target?.model ?? '',
      version: this.target?.version ?? null,
      decision: d.decision === 'approved' ? 'approve' : 'reject',
      comment: d.comment,
      actor: d.actor,
    };
    return verifiedSigner(expected, this.entries, signature).then((signedBy) => {
      // another decision (or the timeout) may have come while the signature was checked
      refuseUnless(() => this.checkOpen());
      return this.record(d, signedBy);
    });
  }

  private record(d: Pick<ApprovalDecision, 'decision' | 'actor' | 'comment'>, signedBy?: string): ApprovalDecision {
    this.decided = { ...d, at: now(), by: 'person', ...(signedBy ? { signedBy } : {}) };
    return this.decided;
  }

  private checkActor(actor: unknown): void {
    if (typeof actor !== 'string' || actor.trim() === '') throw new Error('actor: required (who decides)');
    const approvers = this.approvers;
    if (approvers && !approvers.includes(actor))
      throw new Error(`actor: ${actor} may not decide on ${this.subject}; approvers are ${approvers.join(', ')}`);
  }

  private checkOpen(): void {
    const d = this.decided;
    if (d) throw new Error(`already ${d.decision} by ${d.actor} at ${d.at}`);
    if (!this.open) throw new Error(`the run is not awaiting approval (stage ${this.stage()})`);
  }
}
