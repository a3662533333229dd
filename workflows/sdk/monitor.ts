/**
 * The monitor block: starts `modelMonitor` (`monitor/<endpoint>`) for the spec's model, a child that
 * outlives the run (ABANDON), unless it runs already.
 */
import { startChild } from '@temporalio/workflow';
import type { PipelineSpec } from '../../common/schemas/spec';
import type { PipelineRun } from './run';

/** What the monitor is started with (`ModelMonitorInput` of ../model-monitor.ts). */
export interface MonitorStart {
  endpoint: string;
  spec: PipelineSpec;
  specFile?: string;
  trainingTaskQueue: string;
  actor: string;
}

/**
 * The monitor workflow's signature as far as a pipeline starts it; the workflow is named here, not
 * imported, because the monitor starts pipelines itself (test/unit/sdk.test.ts checks the two agree).
 */
export type ModelMonitorWorkflow = (input: MonitorStart) => Promise<unknown>;

/** Starts the monitor of `endpoint`; returns its workflow id (also the run's `monitor` link). */
export async function startMonitor(run: PipelineRun, endpoint: string): Promise<string> {
  const { spec, input } = run;
  const monitorId = `monitor/${endpoint}`;
  let link = monitorId;
  try {
    await startChild<ModelMonitorWorkflow>('modelMonitor', {
      workflowId: monitorId,
      args: [
        {
          endpoint,
          spec,
          specFile: input.specFile,
          trainingTaskQueue: input.trainingTaskQueue,
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
