/**
 * The approval of a run as a small state class: the `approve` / `reject` update handlers only call
 * into it (validators refuse an outsider, a missing reason, a run not awaiting approval, a second
 * decision). `pipelineRun` installs it at the start, so an early `mlops approve` gets a clear answer;
 * `awaitApproval` opens it.
 */
import { setHandler } from '@temporalio/workflow';
import { approveUpdate, rejectUpdate } from './messages';
import type { ApprovalDecision, ApproveInput, RejectInput } from './types';
import { now } from './util';

export class ApprovalState {
  /** The decision, once there is one (a person's, the timeout's or the policy's). */
  decided: ApprovalDecision | undefined;
  /** Who may decide; anyone when unset. */
  approvers: string[] | undefined;
  private open = false;

  /** `subject` names what is decided on (the pipeline); `stage` tells where the run is, for refusals. */
  constructor(
    private readonly subject: string,
    approvers: string[] | undefined,
    private readonly stage: () => string,
  ) {
    this.approvers = approvers;
  }

  /** Installs the `approve` and `reject` handlers with their validators. */
  install(): void {
    setHandler(
      approveUpdate,
      (arg) => this.decide({ decision: 'approved', actor: arg.actor, comment: arg.comment ?? '' }),
      {
        validator: (arg: ApproveInput) => {
          this.checkActor(arg?.actor);
          this.checkOpen();
        },
      },
    );
    setHandler(rejectUpdate, (arg) => this.decide({ decision: 'rejected', actor: arg.actor, comment: arg.reason }), {
      validator: (arg: RejectInput) => {
        this.checkActor(arg?.actor);
        if (typeof arg?.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
        this.checkOpen();
      },
    });
  }

  /** From now on a person may decide (until someone does or `close()`). */
  openFor(approvers: string[] | undefined): void {
    this.approvers = approvers;
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

  private decide(d: Pick<ApprovalDecision, 'decision' | 'actor' | 'comment'>): ApprovalDecision {
    this.decided = { ...d, at: now(), by: 'person' };
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
