/**
 * Finds the A/B test running on an endpoint: `abtest start` and `deploy` refuse an endpoint that has one,
 * since a rollout and an A/B test would both set its traffic weights.
 */
import type { Client } from '@temporalio/client';
import { MlEndpoint } from '../common/search-attributes';

/** The workflow id of the A/B test running on the endpoint, if any. */
export async function runningAbTest(client: Client, endpoint: string): Promise<string | undefined> {
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'abTest' AND ExecutionStatus = 'Running' AND ${MlEndpoint.name} = '${endpoint}'`,
  }))
    return wf.workflowId;
  return undefined;
}
