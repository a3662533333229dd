/**
 * The monitor block: starts `modelMonitor` (`monitor/<endpoint>`) for the spec's model, a child that
 * outlives the run (ABANDON), unless it runs already.
 */
import { startChild } from '@temporalio/workflow';
import { modelMonitor } from '../model-monitor';
import type { PipelineRun } from './run';

/** Starts the monitor of `endpoint`; returns its workflow id (also the run's `monitor` link). */
export async function startMonitor(run: PipelineRun, endpoint: string): Promise<string> {
  const { spec, input } = run;
  const monitorId = `monitor/${endpoint}`;
  let link = monitorId;
  try {
    await startChild(modelMonitor, {
      workflowId: monitorId,
      args: [
        {
          endpoint,
          spec,
          specFile: input.specFile,
          trainingTaskQueue: input.trainingTaskQueue,
          ...(input.servingTaskQueue !== undefined && { servingTaskQueue: input.servingTaskQueue }),
          actor: `pipeline:${run.id}`,
        },
      ],
      parentClosePolicy: 'ABANDON',
      staticSummary: `monitor ${endpoint} · drift of ${spec.name} every ${spec.monitoring?.interval ?? '—'}`,
    });
  } catch (err) {
    // (WorkflowExecutionAlreadyStartedError, from @temporalio/common)
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
    link = `${monitorId} (already running)`;
  }
  run.link('monitor', link);
  return link;
}
