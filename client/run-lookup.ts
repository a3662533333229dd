/** Finding a run by its workflow id, with a clear error (exit 1) when there is none. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { UserError } from '../common/errors';
import { MlPipeline } from '../common/search-attributes';

/** The run's description; `no run <workflowId>` (exit 1) when it does not exist. */
export async function describeRun(handle: WorkflowHandle, workflowId: string) {
  try {
    return await handle.describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, 1);
  }
}

/** The MlPipeline search attribute of a run; a clear error when the run does not exist or has none. */
export async function pipelineOf(client: Client, workflowId: string): Promise<string> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, 1);
  }
  const pipeline = description.typedSearchAttributes.get(MlPipeline);
  if (!pipeline) throw new UserError(`${workflowId} is not a training run (it has no MlPipeline)`, 1);
  return pipeline;
}
