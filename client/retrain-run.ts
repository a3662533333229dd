/** Reading and following a retrain run: its status query, and its steps printed as they change. */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery, type RetrainPipelineOutput, type RetrainStatus } from '../workflows/retrain-pipeline';
import type { CommandContext } from './context';
import { follow } from './progress';

/**
 * Prints step changes while the run goes on; returns its result (throws `WorkflowRunFailed` if it
 * failed, `WaitInterrupted` at Ctrl-C: the run goes on).
 */
export async function followRetrain(ctx: () => CommandContext, handle: WorkflowHandle): Promise<RetrainPipelineOutput> {
  return follow<RetrainPipelineOutput, RetrainStatus>(ctx().out, {
    handle,
    followWith: `mlops status ${handle.workflowId} --watch`,
    read: () => readRetrainStatus(handle),
    changes: (next, prev) => retrainChanges(handle.workflowId, next, prev),
  });
}

/** The lines a retrain's change is worth: each step that started or changed, and the approval it awaits. */
export function retrainChanges(workflowId: string, next: RetrainStatus, prev: RetrainStatus | undefined): string[] {
  const line = (step: RetrainStatus['steps'][number]) =>
    `${step.name}: ${step.state}${step.summary ? ` — ${step.summary}` : ''}`;
  const before = new Map(prev?.steps.map((s) => [s.name, line(s)]));
  const lines = next.steps.filter((s) => s.state !== 'pending' && before.get(s.name) !== line(s)).map(line);
  if (next.stage === 'awaiting-approval' && prev?.stage !== 'awaiting-approval')
    lines.push(`awaiting approval: mlops approve ${workflowId} --reason "…"  (or mlops reject … --reason "…")`);
  return lines;
}

/** The run's `status` query. */
export async function readRetrainStatus(handle: WorkflowHandle): Promise<RetrainStatus> {
  return handle.query(statusQuery);
}
