/** Finding a run by its workflow id, with a clear error (exit 1) when there is none. */
import type { WorkflowHandle } from '@temporalio/client';
import { UserError } from '../common/errors';

/** The run's description; `no run <workflowId>` (exit 1) when it does not exist. */
export async function describeRun(handle: WorkflowHandle, workflowId: string) {
  try {
    return await handle.describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, 1);
  }
}
