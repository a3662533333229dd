/**
 * The types every pipeline shares: its input (what `mlops run`, schedules and drift retrains start it
 * with), the status its `status` query answers, its output, and the references the blocks pass on.
 */
import type { GateDecision } from '../../common/gates';
import type { DecisionSignature } from '../../common/signed-decision';

/** Where a run is: the built-in stages, or a code pipeline's own (e.g. `features`). */
export type Stage =
  | 'snapshot'
  | 'train'
  | 'evaluate'
  | 'awaiting-approval'
  | 'rollout'
  | 'done'
  | 'unchanged'
  | 'rejected'
  | 'failed'
  | (string & {});

export type Outcome = 'approved' | 'unchanged' | 'rejected' | 'rolled-back';

/** The input every pipeline workflow takes (common/pipeline-start.ts). */
export type { PipelineInput } from '../../common/pipeline-start';
import type { PipelineInput } from '../../common/pipeline-start';

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface Step {
  name: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  summary?: string;
  metrics?: Record<string, number>;
}

export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  actor: string;
  /** The approver's comment or the rejection's reason. */
  comment: string;
  at: string;
  /** `person`, or `timeout` when `onTimeout` decided, or `policy` when no approval was required. */
  by: 'person' | 'timeout' | 'policy';
  /** The fingerprint (`SHA256:…`) of the SSH key whose signature of the decision was verified; absent: unverified. */
  signedBy?: string;
}

/** What the `status` query returns. */
export interface PipelineStatus {
  pipeline: string;
  model: string;
  stage: Stage;
  outcome?: Outcome;
  trigger: string;
  steps: Step[];
  snapshot?: string;
  codeVersion?: string;
  champion?: number;
  version?: number;
  decision?: GateDecision;
  approval?: ApprovalDecision;
  /** Report URIs and related workflow ids. */
  links: Record<string, string>;
}

/** What a pipeline returns: its status with the outcome and the metrics that decided. */
export interface PipelineOutput extends PipelineStatus {
  outcome: Outcome;
  candidateMetrics?: Record<string, number>;
  championMetrics?: Record<string, number>;
}

export interface ApproveInput {
  actor: string;
  comment?: string;
  /** The decision signed with the actor's SSH key (common/signed-decision.ts); required when approvers have keys. */
  signature?: DecisionSignature;
}

export interface RejectInput {
  actor: string;
  reason: string;
  /** As for `ApproveInput`. */
  signature?: DecisionSignature;
}

/** A dataset snapshot by name and content id. */
export interface SnapshotRef {
  dataset: string;
  id: string;
}

/** A snapshot a block took: its reference, how many files, whether its content was new. */
export interface DatasetSnapshot extends SnapshotRef {
  fileCount: number;
  created: boolean;
}

/** A trained candidate model: where its output folder is, its training metrics and params. */
export interface TrainedModel {
  /** Names the candidate among several (`train(…, { label })`); absent for a pipeline's only one. */
  label?: string;
  outputUri: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  /** The snapshot it was trained on. */
  snapshot: SnapshotRef;
  /** The child workflow that trained it (`train/…` or `sweep/…`), when there was one. */
  workflowId?: string;
}

/** The output of a `runStep`: its folder in the store, its metrics, and that folder as a content-addressed snapshot. */
export interface StepOutput {
  step: string;
  outputUri: string;
  metrics: Record<string, number>;
  snapshot: DatasetSnapshot;
}

/** A version `register` recorded. */
export interface RegisteredVersion {
  model: string;
  version: number;
  /** `candidate` when the gates passed, else `rejected`. */
  status: 'candidate' | 'rejected';
  artifactUri: string;
  metrics: Record<string, number>;
}

/** A pipeline workflow: the built-in `retrainPipeline` or one written with these blocks. */
export type PipelineWorkflow = (input: PipelineInput) => Promise<PipelineOutput>;
