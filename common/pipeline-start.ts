/**
 * What every start of a pipeline run shares, whoever starts it (`mlops run` and the client API,
 * a pipeline's Schedule, a monitor's drift retrain): the workflow type the spec names, the
 * workflow id, the input, the search attributes set at start and the one-line summary.
 * Pure and sandbox-safe: the monitor workflow starts its retrains with it.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { PipelineSpec } from './schemas/spec';
import { MlPipeline, MlTrigger } from './search-attributes';

/** The built-in pipeline, run when a spec names no `workflow`. */
export const BUILTIN_PIPELINE_WORKFLOW = 'retrainPipeline';

/** The input every pipeline workflow takes, the built-in one and code pipelines alike. */
export interface PipelineInput {
  /** The parsed spec, paths absolute (client/pipeline-spec.ts). */
  spec: PipelineSpec;
  /** Where the spec came from, for the record. */
  specFile?: string;
  /** What started the run: manual, ci, schedule, drift… */
  trigger: string;
  /** Who started the run (a person, `schedule`, `monitor/<endpoint>`…). */
  actor: string;
  /** Train and evaluate even when data, code and config equal the champion's. */
  force?: boolean;
  reason?: string;
  /** Task queue of the training workers (training and evaluation jobs). */
  trainingTaskQueue: string;
  /**
   * Task queue of the serving hosts (the rollout's deploying, readiness, traffic and undeploying).
   * @default the rollout's own queue (runs started before the serving queue existed)
   */
  servingTaskQueue?: string;
}

/** The workflow type a spec's runs start: its `workflow`, else the built-in `retrainPipeline`. */
export function pipelineWorkflowType(spec: Pick<PipelineSpec, 'workflow'>): string {
  return spec.workflow ?? BUILTIN_PIPELINE_WORKFLOW;
}

/** `retrain/<pipeline>/<utc time>`, the id of one run. */
export function pipelineRunId(pipeline: string, at: Date | string): string {
  return `retrain/${pipeline}/${typeof at === 'string' ? at : at.toISOString()}`;
}

/** The prefix of every run id of `pipeline` (scheduled runs too: `retrain/<pipeline>/scheduled-…`). */
export function pipelineRunIdPrefix(pipeline: string): string {
  return `retrain/${pipeline}/`;
}

/** The input of a run; absent optional fields stay absent. */
export function pipelineInput(start: PipelineInput): PipelineInput {
  const { spec, specFile, trigger, actor, force, reason, trainingTaskQueue, servingTaskQueue } = start;
  return {
    spec,
    ...(specFile !== undefined && { specFile }),
    trigger,
    actor,
    ...(force !== undefined && { force }),
    ...(reason !== undefined && { reason }),
    trainingTaskQueue,
    ...(servingTaskQueue !== undefined && { servingTaskQueue }),
  };
}

/** The search attributes a run carries from its start, so it is found before its workflow sets any. */
export function pipelineSearchAttributes(pipeline: string, trigger: string): SearchAttributePair[] {
  return [
    { key: MlPipeline, value: pipeline },
    { key: MlTrigger, value: trigger },
  ];
}

/** `retrain <pipeline> · <detail>`, cut to the 200 bytes a static summary may hold. */
export function pipelineSummary(pipeline: string, detail: string): string {
  return `retrain ${pipeline} · ${detail}`.slice(0, 200);
}
