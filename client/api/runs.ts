/** Finding runs: a visibility query on the project's search attributes, newest first. */
import type { Client } from '@temporalio/client';
import { UserError } from '../../common/errors';
import { MlModelVersion, MlPipeline, MlPrimaryMetric, MlStage, MlTrigger } from '../../common/search-attributes';

/** Run statuses by the name the filter takes, to the visibility query's value. */
export const RUN_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;

/**
 * Kinds of run and the query clause each is found by. Pipeline runs are found by their id
 * (`retrain/<pipeline>/…`), so runs of a code pipeline (a spec's `workflow`) are listed too.
 */
export const RUN_TYPES = {
  retrain: `WorkflowId STARTS_WITH 'retrain/'`,
  train: `WorkflowType = 'trainModel'`,
  sweep: `WorkflowType = 'hyperparameterSweep'`,
  trial: `WorkflowType = 'sweepTrial'`,
  snapshot: `WorkflowType = 'datasetSnapshot'`,
  rollout: `WorkflowType = 'progressiveRollout'`,
  abtest: `WorkflowType = 'abTest'`,
  monitor: `WorkflowType = 'modelMonitor'`,
} as const;

export type RunType = keyof typeof RUN_TYPES;
export type RunStatus = keyof typeof RUN_STATUSES;

export interface RunFilter {
  /** Only this pipeline (MlPipeline). */
  pipeline?: string;
  /** Only this stage (MlStage), e.g. awaiting-approval, rejected, done. */
  stage?: string;
  status?: string;
  /** The kind of run, or all. @default 'retrain' */
  type?: string;
  /** At most this many (1 to 1000). @default 20 */
  limit?: number;
}

export interface RunRow {
  workflowId: string;
  type: string;
  status: string;
  pipeline?: string;
  stage?: string;
  modelVersion?: string;
  primaryMetric?: number;
  trigger?: string;
  startTime: string;
  closeTime?: string;
}

/** Thrown when a run filter has a bad value; `field` names it. Exit 2. */
export class RunFilterError extends UserError {
  override readonly name = 'RunFilterError';
  constructor(
    readonly field: keyof RunFilter,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`, 2);
  }
}

/** The visibility query a filter asks for (empty: every run). */
export function runsQuery(filter: RunFilter = {}): string {
  const clauses: string[] = [];
  const type = filter.type ?? 'retrain';
  if (type !== 'all') {
    const clause = (RUN_TYPES as Record<string, string>)[type];
    if (!clause) throw new RunFilterError('type', `expected one of ${Object.keys(RUN_TYPES).join(', ')}, all`);
    clauses.push(clause);
  }
  if (filter.pipeline !== undefined) clauses.push(`${MlPipeline.name} = ${quote('pipeline', filter.pipeline)}`);
  if (filter.stage !== undefined) clauses.push(`${MlStage.name} = ${quote('stage', filter.stage)}`);
  if (filter.status !== undefined) {
    const status = (RUN_STATUSES as Record<string, string>)[filter.status.toLowerCase()];
    if (!status) throw new RunFilterError('status', `expected one of ${Object.keys(RUN_STATUSES).join(', ')}`);
    clauses.push(`ExecutionStatus = '${status}'`);
  }
  return clauses.join(' AND ');
}

/** Runs matching `filter`, newest first, with the query that found them. */
export async function listRuns(client: Client, filter: RunFilter = {}): Promise<{ query: string; runs: RunRow[] }> {
  const limit = filter.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new RunFilterError('limit', `expected an integer from 1 to 1000, got ${limit}`);
  const query = runsQuery(filter);
  const runs: RunRow[] = [];
  for await (const wf of client.workflow.list({ query: query || undefined })) {
    const attrs = wf.typedSearchAttributes;
    runs.push({
      workflowId: wf.workflowId,
      type: wf.type,
      status: wf.status.name.toLowerCase(),
      pipeline: attrs.get(MlPipeline),
      stage: attrs.get(MlStage),
      modelVersion: attrs.get(MlModelVersion),
      primaryMetric: attrs.get(MlPrimaryMetric),
      trigger: attrs.get(MlTrigger),
      startTime: wf.startTime.toISOString(),
      closeTime: wf.closeTime?.toISOString(),
    });
    if (runs.length >= limit) break;
  }
  return { query, runs };
}

/** A visibility-query string literal; refuses quotes rather than escaping them. */
function quote(field: keyof RunFilter, value: string): string {
  if (!/^[A-Za-z0-9._:/@-]{1,200}$/.test(value)) throw new RunFilterError(field, `unexpected characters in ${value}`);
  return `'${value}'`;
}
