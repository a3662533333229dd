/**
 * Reading a workflow's live status (a query, which a worker answers) without hanging or failing
 * when no worker runs: the query is tried for a few seconds; when no worker answers, what the server
 * holds (the execution's status and times) is returned instead, for the command to print with a note
 * that live details need a running worker.
 */
import type { Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { UserError } from '../common/errors';
import { LIVE_STATUS_TIMEOUT_MS } from './api/pipelines';
import type { CommandContext } from './context';
import { EXIT } from './exit-codes';

/** What the server holds about a workflow whose status query no worker answered. */
export interface ServerView {
  workflowId: string;
  /** running, completed, failed, canceled, terminated, timed_out, continued_as_new */
  runStatus: string;
  startTime: string;
  closeTime?: string;
  /** Always `server`: not a live answer. */
  source: 'server';
}

/** The note printed on stderr when only the server's view could be read. */
export const NEEDS_WORKER = 'no worker answered: live details need a running worker (mlops worker)';

/**
 * The query's answer from a worker, or (no worker answered within `timeoutMs`) the server's view.
 * `missing` is the message (exit 1) when there is no such workflow.
 */
export async function queryOrServerView<T>(
  client: Client,
  workflowId: string,
  query: QueryDefinition<T>,
  opts: { missing: string; timeoutMs?: number },
): Promise<{ live: T } | { server: ServerView }> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: unknown) => {
    throw new UserError(opts.missing, EXIT.failed, { cause: err });
  });
  try {
    const timeout = opts.timeoutMs ?? LIVE_STATUS_TIMEOUT_MS;
    return { live: await client.withDeadline(Date.now() + timeout, () => handle.query(query)) };
  } catch {
    return {
      server: {
        workflowId,
        runStatus: description.status.name.toLowerCase(),
        startTime: description.startTime.toISOString(),
        ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
        source: 'server',
      },
    };
  }
}

/** Prints the server's view of a workflow, with the note on stderr that live details need a worker. */
export function printServerView(ctx: () => CommandContext, view: ServerView): void {
  const { out } = ctx();
  out.info(NEEDS_WORKER);
  out.result(
    view,
    (v) => `${v.workflowId}: ${v.runStatus} · started ${v.startTime}${v.closeTime ? ` · ended ${v.closeTime}` : ''}`,
  );
}
