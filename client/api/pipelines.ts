/**
 * Starting a pipeline run and acting on it: start, status, approve / reject, cancel. Every run
 * answers the `status` query and, while it awaits approval, the `approve` / `reject` updates, the
 * built-in pipeline and code pipelines alike.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../../common/errors';
import {
  pipelineInput,
  pipelineRunId,
  pipelineSearchAttributes,
  pipelineSummary,
  pipelineWorkflowType,
} from '../../common/pipeline-start';
import type { PipelineSpec } from '../../common/schemas/spec';
import { MlModel, MlModelVersion, MlPipeline, MlStage, MlTrigger } from '../../common/search-attributes';
import {
  approveUpdate,
  rejectUpdate,
  statusQuery,
  type ApprovalDecision,
  type RetrainPipelineOutput,
  type RetrainStatus,
} from '../../workflows/retrain-pipeline';
import type { BlobStore } from '../../activities/storage/types';
import { explainWorkflowFailure } from '../workflow-errors';
import { packageSpecCode, type PackagedCode, type PackageSpecCodeOptions } from '../code-packages';
import { signDecision, type DecisionSigner } from './signing';

/** What a trigger may be: a word such as manual, ci, schedule or drift. */
export const TRIGGER_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export interface StartPipelineOptions {
  /** The parsed spec, paths absolute (`loadPipelineSpec`). */
  spec: PipelineSpec;
  /** Where the spec came from, for the record. */
  specFile?: string;
  /** What started the run. @default 'manual' */
  trigger?: string;
  /** Who starts it (recorded with the run and on approvals). */
  actor: string;
  /** Why this run (recorded with it). */
  reason?: string;
  /** Train and evaluate even when data, code and config equal the champion's. @default false */
  force?: boolean;
  /** The workflow task queue. */
  taskQueue: string;
  /** The training task queue the run's jobs go to. */
  trainingTaskQueue: string;
  /** The serving task queue its rollout deploys through (`mlops-serving`). @default the rollout's own queue */
  servingTaskQueue?: string;
  /** When the run starts, which names it (`retrain/<pipeline>/<utc time>`). @default now */
  at?: Date;
  /**
   * Package the spec's code folders into this store first (../code-packages.ts), so the run's jobs
   * run the packages by digest on any worker and the code version is the digest. Absent: the spec
   * is started as given (with whatever `codePackage` it carries).
   */
  packageCode?: { store: BlobStore } & PackageSpecCodeOptions;
}

export interface StartedPipeline {
  workflowId: string;
  runId: string;
  /** The spec's `workflow`, else `retrainPipeline`. */
  workflowType: string;
  handle: WorkflowHandle;
  /** The folders packaged (with `packageCode`; else empty). */
  packages: PackagedCode[];
}

/** Starts a run of the spec's workflow (`workflow`, else the built-in `retrainPipeline`). */
export async function startPipeline(client: Client, opts: StartPipelineOptions): Promise<StartedPipeline> {
  const trigger = opts.trigger ?? 'manual';
  if (!TRIGGER_PATTERN.test(trigger))
    throw new UserError(`trigger: expected a word such as manual, ci, schedule or drift, got ${trigger}`, 2);
  const { store, ...packOptions } = opts.packageCode ?? {};
  const { spec, packages } = store
    ? await packageSpecCode(store, opts.spec, packOptions)
    : { spec: opts.spec, packages: [] };
  const workflowId = pipelineRunId(spec.name, opts.at ?? new Date());
  const workflowType = pipelineWorkflowType(spec);
  const handle = await client.workflow.start(workflowType, {
    workflowId,
    taskQueue: opts.taskQueue,
    args: [
      pipelineInput({
        spec,
        specFile: opts.specFile,
        trigger,
        actor: opts.actor,
        force: opts.force ?? false,
        reason: opts.reason,
        trainingTaskQueue: opts.trainingTaskQueue,
        servingTaskQueue: opts.servingTaskQueue,
      }),
    ],
    typedSearchAttributes: pipelineSearchAttributes(spec.name, trigger),
    staticSummary: pipelineSummary(spec.name, `${trigger}${opts.reason ? ` · ${opts.reason}` : ''}`),
    staticDetails:
      `pipeline **${spec.name}** → model **${spec.model}**` +
      (spec.workflow ? `, workflow \`${spec.workflow}\`` : '') +
      (opts.specFile ? `, spec \`${opts.specFile}\`` : '') +
      `, started by ${opts.actor}` +
      (spec.training.codePackage ? `\n\ncode package \`${spec.training.codePackage}\`` : '') +
      (spec.dataset.source?.startsWith('upload://') ? `\n\ndata uploaded as \`${spec.dataset.source}\`` : ''),
  });
  return { workflowId, runId: handle.firstExecutionRunId, workflowType, handle, packages };
}

/** The run's description; `no run <workflowId>` (exit 1) when there is none. */
export async function describeRun(handle: WorkflowHandle) {
  try {
    return await handle.describe();
  } catch (err) {
    throw new UserError(`no run ${handle.workflowId}`, 1, { cause: err });
  }
}

/** The run's steps, stage and links (its `status` query: a worker answers it). */
export async function pipelineStatus(client: Client, workflowId: string): Promise<RetrainStatus> {
  const handle = client.workflow.getHandle(workflowId);
  await describeRun(handle);
  return handle.query(statusQuery);
}

/** How long `readPipelineStatus` waits for a worker to answer the status query. */
export const LIVE_STATUS_TIMEOUT_MS = 5000;

/** A run's status as far as it can be read, and where it was read from. */
export interface PipelineStatusRead {
  /**
   * The steps, stage and links. From `server`, the steps are empty and the stage, model version
   * and trigger are the run's search attributes.
   */
  status: RetrainStatus;
  /** The execution's status: running, completed, failed, canceled, terminated, timed_out, … */
  runStatus: string;
  /**
   * `query`: a worker answered the status query (live); `history`: the result of the ended run,
   * from its history; `server`: only what the server holds (no worker answered in time).
   */
  source: 'query' | 'history' | 'server';
  /** How the run failed, when it did (`source` history or server). */
  failure?: string;
}

/**
 * A run's status that needs no worker where none is needed: a completed run's result comes from its
 * history; otherwise the status query is tried for `queryTimeoutMs`, and when no worker answers,
 * what the server holds (execution status, search attributes, the failure) is returned.
 */
export async function readPipelineStatus(
  client: Client,
  workflowId: string,
  opts: { queryTimeoutMs?: number } = {},
): Promise<PipelineStatusRead> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await describeRun(handle);
  const runStatus = description.status.name.toLowerCase();
  if (description.status.name === 'COMPLETED') {
    const output = (await handle.result()) as unknown;
    if (isPipelineStatus(output)) return { status: output, runStatus, source: 'history' };
  }
  const timeout = opts.queryTimeoutMs ?? LIVE_STATUS_TIMEOUT_MS;
  try {
    const status = await client.withDeadline(Date.now() + timeout, () => handle.query(statusQuery));
    return { status, runStatus, source: 'query' };
  } catch {
    // no worker answered (or the run has no status query): what the server holds
  }
  const attrs = description.typedSearchAttributes;
  const version = Number(attrs.get(MlModelVersion));
  const status: RetrainStatus = {
    pipeline: attrs.get(MlPipeline) ?? '',
    model: attrs.get(MlModel) ?? '',
    stage: (attrs.get(MlStage) ?? runStatus) as RetrainStatus['stage'],
    trigger: attrs.get(MlTrigger) ?? '',
    steps: [],
    links: {},
    ...(Number.isInteger(version) && version > 0 ? { version } : {}),
  };
  const failure = description.status.name === 'FAILED' ? await failureOf(handle) : undefined;
  return { status, runStatus, source: 'server', ...(failure ? { failure } : {}) };
}

function isPipelineStatus(value: unknown): value is RetrainPipelineOutput {
  const v = value as Partial<RetrainStatus> | null;
  return typeof v === 'object' && v !== null && Array.isArray(v.steps) && typeof v.stage === 'string';
}

/** The message of a failed run's failure, from its history. */
async function failureOf(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    await handle.result();
    return undefined;
  } catch (err) {
    const failure = explainWorkflowFailure(err, handle.workflowId);
    return failure instanceof Error ? failure.message : undefined;
  }
}

/** The run's result once it ends (throws `WorkflowFailedError` when it failed). */
export async function pipelineResult(client: Client, workflowId: string): Promise<RetrainPipelineOutput> {
  return client.workflow.getHandle(workflowId).result() as Promise<RetrainPipelineOutput>;
}

/** Who decides and why, and optionally the signer of the decision (./signing.ts). */
export interface RunDecision {
  actor: string;
  /** Signs the decision (run id, model version, decision, comment, time, actor); absent: unsigned. */
  sign?: DecisionSigner;
}

/**
 * Approves the candidate of a run awaiting approval; refused (exit 1) when it cannot be, e.g. when
 * the spec requires signed decisions and the signature is missing or not by a listed key.
 */
export async function approveRun(
  client: Client,
  workflowId: string,
  decision: RunDecision & { comment: string },
): Promise<ApprovalDecision> {
  if (decision.comment.trim() === '') throw new UserError('comment: must not be empty', 2);
  const { actor, comment } = decision;
  return decide(client, workflowId, 'approve', async (h) => {
    const signature = await signRunDecision(h, decision.sign, { actor, comment, decision: 'approve' });
    return h.executeUpdate(approveUpdate, { args: [{ actor, comment, ...(signature ? { signature } : {}) }] });
  });
}

/** Rejects the candidate of a run awaiting approval; refused (exit 1) when it cannot be. */
export async function rejectRun(
  client: Client,
  workflowId: string,
  decision: RunDecision & { reason: string },
): Promise<ApprovalDecision> {
  if (decision.reason.trim() === '') throw new UserError('reason: must not be empty', 2);
  const { actor, reason } = decision;
  return decide(client, workflowId, 'reject', async (h) => {
    const signature = await signRunDecision(h, decision.sign, { actor, comment: reason, decision: 'reject' });
    return h.executeUpdate(rejectUpdate, { args: [{ actor, reason, ...(signature ? { signature } : {}) }] });
  });
}

/** Signs a decision on the version the run awaits approval of (its `status`). */
async function signRunDecision(
  handle: WorkflowHandle,
  sign: DecisionSigner | undefined,
  d: { actor: string; comment: string; decision: 'approve' | 'reject' },
) {
  if (!sign) return undefined;
  const status = await handle.query(statusQuery);
  return signDecision(sign, { run: handle.workflowId, model: status.model, version: status.version ?? null, ...d });
}

async function decide(
  client: Client,
  workflowId: string,
  kind: 'approve' | 'reject',
  send: (handle: WorkflowHandle) => Promise<ApprovalDecision>,
): Promise<ApprovalDecision> {
  const handle = client.workflow.getHandle(workflowId);
  await describeRun(handle);
  try {
    return await send(handle);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new UserError(`${kind} refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, 1, {
        cause: err,
      });
    if (err instanceof WorkflowNotFoundError) {
      // the run ended between the describe and the update: say how it ended
      const status = await handle.query(statusQuery).catch(() => undefined);
      const ended = status?.approval
        ? `already ${status.approval.decision} by ${status.approval.actor} at ${status.approval.at}`
        : `the run has ended${status ? ` (stage ${status.stage})` : ''}`;
      throw new UserError(`${kind} refused: ${ended}`, 1, { cause: err });
    }
    throw err;
  }
}

/** Requests cancellation of a running run (its training jobs stop); exit 1 when it is not running. */
export async function cancelRun(client: Client, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await describeRun(handle);
  if (description.status.name !== 'RUNNING')
    throw new UserError(`${workflowId} is not running (${description.status.name.toLowerCase()})`, 1);
  await handle.cancel();
}
