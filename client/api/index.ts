/**
 * The typed client API, `temporal-mlops/client`: start a pipeline run, read its status, approve,
 * reject or cancel it (decisions signed with an SSH key: ./signing.ts), and list runs, over a `@temporalio/client` `Client`. The `mlops` CLI's
 * commands are built on it. Errors a caller can fix are `UserError`s (with the exit code the CLI
 * uses); nothing here prints.
 *
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { loadPipelineSpec, startPipeline, pipelineStatus } from 'temporal-mlops/client';
 *
 * const client = new Client({ connection: await Connection.connect({ address: '127.0.0.1:7233' }) });
 * const { spec, file } = loadPipelineSpec('pipelines/churn.yaml');
 * const run = await startPipeline(client, {
 *   spec, specFile: file, actor: 'ci', trigger: 'ci',
 *   taskQueue: 'mlops', trainingTaskQueue: 'mlops-training', servingTaskQueue: 'mlops-serving',
 * });
 * console.log(await pipelineStatus(client, run.workflowId));
 * ```
 */
export {
  TRIGGER_PATTERN,
  approveRun,
  cancelRun,
  describeRun,
  LIVE_STATUS_TIMEOUT_MS,
  pipelineResult,
  pipelineStatus,
  readPipelineStatus,
  rejectRun,
  startPipeline,
  type PipelineStatusRead,
  type RunDecision,
  type StartPipelineOptions,
  type StartedPipeline,
} from './pipelines';
export {
  DEFAULT_SIGNING_KEYS,
  UnsignedDecision,
  cliSigner,
  findSigningKey,
  signDecision,
  sshKeygenSigner,
  type DecisionSigner,
  type SigningKey,
} from './signing';
export {
  RUN_STATUSES,
  RUN_TYPES,
  RunFilterError,
  listRuns,
  runsQuery,
  type RunFilter,
  type RunRow,
  type RunStatus,
  type RunType,
} from './runs';
export {
  BUILTIN_PIPELINE_WORKFLOW,
  pipelineInput,
  pipelineRunId,
  pipelineWorkflowType,
  type PipelineInput,
} from '../../common/pipeline-start';
export { checkPipelineFiles, findPipelineSpec, loadPipelineSpec, type LoadedPipelineSpec } from '../pipeline-spec';
export type { PipelineSpec } from '../../common/schemas/spec';
export type {
  ApprovalDecision,
  RetrainPipelineOutput as PipelineOutput,
  RetrainStatus as PipelineStatus,
} from '../../workflows/retrain-pipeline';
