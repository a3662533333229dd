/** Reading and following a retrain run: its status query, and its steps printed as they change. */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery, type RetrainPipelineOutput, type RetrainStatus } from '../workflows/retrain-pipeline';
import type { CommandContext } from './context';
import { explainWorkflowFailure } from './workflow-errors';

/** Prints step changes while the run goes on; returns its result (throws `WorkflowRunFailed` if it failed). */
export async function followRetrain(ctx: () => CommandContext, handle: WorkflowHandle): Promise<RetrainPipelineOutput> {
  const { out } = ctx();
  const seen = new Map<string, string>();
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  }) as Promise<RetrainPipelineOutput>;
  const poll = async () => {
    while (!done) {
      const status = await readRetrainStatus(handle).catch(() => undefined);
      if (status) {
        for (const step of status.steps) {
          const line = `${step.name}: ${step.state}${step.summary ? ` — ${step.summary}` : ''}`;
          if (seen.get(step.name) !== line && step.state !== 'pending') {
            seen.set(step.name, line);
            out.info(line);
          }
        }
        if (status.stage === 'awaiting-approval' && !seen.has('awaiting')) {
          seen.set('awaiting', '');
          out.info(
            `awaiting approval: mlops approve ${handle.workflowId} --reason "…"  (or mlops reject … --reason "…")`,
          );
        }
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
  };
  const [output] = await Promise.all([
    result.catch((err: unknown) => {
      throw explainWorkflowFailure(err, handle.workflowId);
    }),
    poll(),
  ]);
  return output;
}

/** The run's `status` query. */
export async function readRetrainStatus(handle: WorkflowHandle): Promise<RetrainStatus> {
  return handle.query(statusQuery);
}
