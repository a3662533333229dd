/**
 * The approval block: waits for `approve` / `reject` (../approval-state.ts checks the approver
 * policy) when the spec requires approval, reminding every `remindEvery`; after `timeout` the
 * `onTimeout` policy decides. Without required approval the policy approves at once. The decision is
 * recorded as the version's status in the registry.
 */
import { condition } from '@temporalio/workflow';
import { parseDuration } from '../../common/duration';
import { formatMetric } from '../../common/format';
import type { ApprovalSection } from '../../common/schemas/spec';
import { approverNames } from '../../common/signed-decision';
import { light } from './activity-options';
import type { PipelineRun } from './run';
import type { ApprovalDecision, RegisteredVersion } from './types';

export interface AwaitApprovalOptions {
  /** The registered version decided on (its status in the registry follows the decision). */
  version: RegisteredVersion;
  /** @default the spec's approval section (none: approved by policy) */
  approval?: ApprovalSection;
  /** @default 'approval' */
  step?: string;
}

export async function awaitApproval(run: PipelineRun, options: AwaitApprovalOptions): Promise<ApprovalDecision> {
  const { spec } = run;
  const { version } = options;
  const approval = options.approval ?? spec.approval;
  const step = options.step ?? 'approval';
  const subject = `${version.model} v${version.version}`;
  let decided: ApprovalDecision;
  if (approval?.required) {
    run.stage('awaiting-approval');
    run.approval.openFor(approval.approvers, { model: version.model, version: version.version });
    const names = approverNames(approval.approvers);
    run.begin(step, `awaiting approval${names ? ` by ${names.join(', ')}` : ''}`);
    const primary = spec.evaluation.primaryMetric;
    await run.notify(
      'awaiting-approval',
      `${subject} awaits approval`,
      `${primary} ${formatMetric(version.metrics[primary])}; approve with: mlops approve ${run.id} --comment "…"`,
    );
    const deadline = Date.now() + parseDuration(approval.timeout);
    const remind = approval.remindEvery ? parseDuration(approval.remindEvery) : undefined;
    const isDecided = () => run.approval.decided !== undefined;
    while (!isDecided()) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const wait = remind !== undefined ? Math.min(remind, left) : left;
      if (await condition(isDecided, wait)) break;
      if (remind !== undefined && deadline - Date.now() > 0)
        await run.notify(
          'approval-reminder',
          `Reminder: ${subject} awaits approval`,
          `decide before ${new Date(deadline).toISOString()}, else ${approval.onTimeout}`,
        );
    }
    decided = run.approval.settle({
      decision: approval.onTimeout === 'approve' ? 'approved' : 'rejected',
      actor: 'timeout',
      comment: `no decision within ${approval.timeout}: onTimeout is ${approval.onTimeout}`,
      by: 'timeout',
    });
  } else {
    decided = run.approval.settle({
      decision: 'approved',
      actor: 'policy',
      comment: 'approval not required by the spec',
      by: 'policy',
    });
  }
  run.status.approval = decided;
  await light.setModelStatus.executeWithOptions({ summary: `record ${decided.decision} by ${decided.actor}` }, [
    {
      model: version.model,
      version: version.version,
      status: decided.decision,
      expectedStatus: 'candidate',
      actor: decided.actor,
      reason: decided.comment || decided.decision,
      ...(decided.signedBy ? { signedBy: decided.signedBy } : {}),
    },
  ]);
  run.end(
    step,
    decided.decision === 'approved' ? 'done' : 'failed',
    `${decided.decision} by ${decided.actor}${decided.signedBy ? ` (key ${decided.signedBy})` : ''}${decided.comment ? `: ${decided.comment}` : ''}`,
  );
  return decided;
}
