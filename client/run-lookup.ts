/**
 * Finding a run from what a user types: a workflow id, a unique prefix of one, or `latest` (the
 * newest run of the kinds a command reads, optionally of one pipeline or model), by a visibility
 * query (`client.workflow.list`). Errors are `UserError`s: no such run exits 1, an ambiguous prefix
 * or a bad value exits 2.
 */
import type { Client } from '@temporalio/client';
import { UserError } from '../common/errors';
import { MlModel, MlPipeline } from '../common/search-attributes';
import { RUN_TYPES, type RunType } from './api/runs';
import { EXIT } from './exit-codes';

/** What `<run>` arguments accept, for help texts. */
export const RUN_ARGUMENT_HELP = 'a run id, a unique prefix of one, or latest';

/** How many candidates an ambiguous prefix lists. */
const SHOWN_CANDIDATES = 10;
/** How many runs `latest` and a prefix look through at most. */
const SCANNED = 1000;

export interface ResolveRunOptions {
  /** The kinds of run `latest` means and a prefix is looked for among. @default ['retrain'] */
  types?: readonly RunType[];
  /** `latest` of this pipeline only (MlPipeline). */
  pipeline?: string;
  /** `latest` of this model only (MlModel). */
  model?: string;
}

/**
 * The workflow id `idOrPrefix` names: itself when a run has that id; else the newest run of
 * `opts.types` for `latest`; else the one run whose id starts with it. No run: `no run …` (exit 1);
 * several: exit 2 listing them.
 */
export async function resolveRunId(client: Client, idOrPrefix: string, opts: ResolveRunOptions = {}): Promise<string> {
  const given = idOrPrefix.trim();
  if (given === '') throw new UserError('run: expected a run id, a prefix of one, or latest', EXIT.badInput);
  const types = opts.types ?? ['retrain'];
  const kinds = `(${types.map((t) => RUN_TYPES[t]).join(' OR ')})`;
  if (given === 'latest') {
    const clauses = [kinds];
    if (opts.pipeline !== undefined) clauses.push(`${MlPipeline.name} = ${literal('pipeline', opts.pipeline)}`);
    if (opts.model !== undefined) clauses.push(`${MlModel.name} = ${literal('model', opts.model)}`);
    const newest = (await candidates(client, clauses.join(' AND ')))[0];
    const scope = [opts.pipeline && `of pipeline ${opts.pipeline}`, opts.model && `of model ${opts.model}`]
      .filter(Boolean)
      .join(' ');
    if (!newest)
      throw new UserError(`no run for latest: no ${types.join(' or ')} run${scope ? ` ${scope}` : ''}`, EXIT.failed);
    return newest.workflowId;
  }
  if (await exists(client, given)) return given;
  const found = await candidates(client, `${kinds} AND WorkflowId STARTS_WITH ${literal('run', given)}`);
  if (found.length === 0) throw new UserError(`no run ${given}`, EXIT.failed);
  if (found.length === 1) return found[0]!.workflowId;
  const shown = found.slice(0, SHOWN_CANDIDATES).map((r) => `  ${r.workflowId}`);
  const more = found.length > SHOWN_CANDIDATES ? [`  … and ${found.length - SHOWN_CANDIDATES} more`] : [];
  throw new UserError(
    [`${given} is ambiguous: ${found.length} runs start with it; give more of the id:`, ...shown, ...more].join('\n'),
    EXIT.badInput,
  );
}

/** The runs a query finds, one per workflow id, newest start first. */
async function candidates(client: Client, query: string): Promise<{ workflowId: string; startTime: Date }[]> {
  const byId = new Map<string, Date>();
  let scanned = 0;
  for await (const wf of client.workflow.list({ query })) {
    const seen = byId.get(wf.workflowId);
    if (!seen || seen < wf.startTime) byId.set(wf.workflowId, wf.startTime);
    if (++scanned >= SCANNED) break;
  }
  return [...byId]
    .map(([workflowId, startTime]) => ({ workflowId, startTime }))
    .sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.workflowId < b.workflowId ? 1 : -1));
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch {
    return false;
  }
}

/** A visibility-query string literal; refuses characters that could end it rather than escaping them. */
function literal(field: string, value: string): string {
  if (!/^[A-Za-z0-9._:/@+-]{1,400}$/.test(value))
    throw new UserError(`${field}: unexpected characters in ${JSON.stringify(value)}`, EXIT.badInput);
  return `'${value}'`;
}

/** The MlPipeline search attribute of a run; a clear error when the run does not exist or has none. */
export async function pipelineOf(client: Client, workflowId: string): Promise<string> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, EXIT.failed);
  }
  const pipeline = description.typedSearchAttributes.get(MlPipeline);
  if (!pipeline) throw new UserError(`${workflowId} is not a training run (it has no MlPipeline)`, EXIT.failed);
  return pipeline;
}
