/**
 * `temporal-mlops/workflow`: the building blocks of a pipeline written in TypeScript. Everything here
 * is workflow code (it runs in Temporal's sandbox); a pipeline is an exported async function taking
 * a `PipelineInput`, composing these blocks in order, and returning `run.finish(…)`:
 *
 *   const run = pipelineRun(input, { steps: ['snapshot', 'train', 'evaluate', 'register', 'approval'] });
 *   return run.execute(async () => {
 *     const snap = await snapshot(run);
 *     …
 *   });
 *
 * `retrainPipeline` (../retrain-pipeline.ts) is built from these blocks.
 */
export * from './types';
export { approveUpdate, rejectUpdate, statusQuery } from './messages';
export { renderDetails } from './details';
export { pipelineRun, PipelineRun, type OutcomeMetrics, type PipelineRunOptions, type StepReport } from './run';
export { ApprovalState } from './approval-state';
export { snapshot, validate, type SnapshotOptions } from './data';
export { champion, type ChampionOptions, type Prior } from './champion';
export { train, type TrainOptions } from './train';
export {
  evaluate,
  type CandidateEvaluation,
  type EvaluateOptions,
  type Evaluation,
  type Holdout,
  type ModelEvaluation,
} from './evaluate';
export { failedGates, gate, type GateSection } from './gate';
export { report, type ReportOptions } from './report';
export { register, type RegisterOptions } from './register';
export { awaitApproval, type AwaitApprovalOptions } from './approval';
export { promote, rollout, type PromoteOptions, type RolloutOptions, type RolloutResult } from './rollout';
export { startMonitor } from './monitor';
export { runStep, type RunStepOptions, type StepInput } from './run-step';
export { notifyQuietly } from './notify';
export type { GateDecision } from '../../common/gates';
export type { PipelineSpec } from '../../common/schemas/spec';
