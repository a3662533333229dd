/**
 * The retrain pipeline from the CLI:
 *   mlops run <pipeline> [--spec file] [--set k=v] [--force] [--reason "…"] [--wait]
 *   mlops status <workflowId> [--watch]
 *   mlops approve <workflowId> --comment "…" [--as actor]   /   mlops reject <workflowId> --reason "…"
 *   mlops cancel <workflowId>
 *   mlops open <workflowId>
 * `run --wait` and `status --watch` print each step as it changes; `run --wait` exits 1 when the
 * run failed and 4 when it was rejected.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { readStackFile } from '../../lib/config/stack-file';
import type { LoadedConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import {
  approveUpdate,
  rejectUpdate,
  retrainPipeline,
  statusQuery,
  type ApprovalDecision,
  type RetrainPipelineOutput,
  type RetrainStatus,
} from '../../workflows/retrain-pipeline';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { collect, withOverrides } from '../options';
import { table } from '../output';
import { checkPipelineFiles, findPipelineSpec, formatSpecIssues, loadPipelineSpec } from '../pipeline-spec';
import { explainWorkflowFailure } from '../workflow-errors';
import { EXIT } from '../exit-codes';

export function registerRetrain(program: Command, ctx: () => CommandContext): void {
  program
    .command('run')
    .description('run the retrain pipeline: snapshot, train, evaluate against the champion, register, approve')
    .argument('<pipeline>', 'the pipeline name (its spec is found in MLOPS_PIPELINES_DIR, default ./pipelines)')
    .option('--spec <file>', 'the pipeline spec file (instead of looking the name up)')
    .option('--set <key=value>', 'override a training param (repeatable; values parsed as JSON)', collect, [])
    .option('--force', 'train and evaluate even when data, code and config equal the champion’s')
    .option('--reason <text>', 'why this run (recorded with it)')
    .option('--trigger <kind>', 'what started the run: manual, ci, schedule, drift', 'manual')
    .option('--wait', 'follow the steps until the run ends; exit 1 if it failed, 4 if rejected')
    .action(
      async (
        pipeline: string,
        opts: { spec?: string; set: string[]; force?: boolean; reason?: string; trigger: string; wait?: boolean },
      ) => {
        const { out } = ctx();
        const config = ctx().config();
        const loaded = opts.spec ? loadPipelineSpec(opts.spec) : findPipelineSpec(pipeline, config.pipelinesDir);
        if (loaded.spec.name !== pipeline)
          throw new UserError(`${loaded.file}: declares pipeline ${loaded.spec.name}, not ${pipeline}`, 2);
        const issues = checkPipelineFiles(loaded);
        if (issues.length > 0) throw new UserError(formatSpecIssues(loaded.file, issues), 2);
        const params = withOverrides(loaded.spec.training.params, opts.set);
        if (!/^[a-z][a-z0-9-]{0,31}$/.test(opts.trigger))
          throw new UserError(`--trigger: expected a word such as manual, ci, schedule or drift`, 2);
        const spec = { ...loaded.spec, training: { ...loaded.spec.training, params } };
        const workflowId = `retrain/${spec.name}/${new Date().toISOString()}`;
        await withClient(config, async (client) => {
          const handle = await client.workflow.start(retrainPipeline, {
            workflowId,
            taskQueue: config.taskQueue,
            args: [
              {
                spec,
                specFile: loaded.file,
                trigger: opts.trigger,
                actor: config.actor,
                force: opts.force ?? false,
                reason: opts.reason,
                trainingTaskQueue: config.trainingTaskQueue,
              },
            ],
            staticSummary: `retrain ${spec.name} · ${opts.trigger}${opts.reason ? ` · ${opts.reason}` : ''}`.slice(
              0,
              200,
            ),
            staticDetails: `pipeline **${spec.name}** → model **${spec.model}**, spec \`${loaded.file}\`, started by ${config.actor}`,
          });
          const url = uiUrl(config, workflowId);
          out.info(`started ${workflowId}\n${url}`);
          if (!opts.wait) {
            out.result({ workflowId, runId: handle.firstExecutionRunId, url }, (r) => r.workflowId);
            return;
          }
          const result = await follow(ctx, handle);
          out.result({ workflowId, url, ...result }, renderOutcome);
          if (result.outcome === 'rejected' || result.outcome === 'rolled-back') process.exitCode = EXIT.rejected;
        });
      },
    );

  program
    .command('status')
    .description('the steps of a retrain run, their state and summaries, and its links')
    .argument('<workflowId>')
    .option('--watch', 'keep printing changes until the run ends')
    .action(async (workflowId: string, opts: { watch?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        await describeOrExplain(handle, workflowId);
        if (opts.watch) {
          const result = await follow(ctx, handle);
          out.result({ workflowId, ...result }, renderOutcome);
          return;
        }
        const status = await readStatus(handle);
        out.result({ workflowId, ...status }, (s) => renderStatus(s));
      });
    });

  program
    .command('approve')
    .description('approve the candidate of a run that awaits approval')
    .argument('<workflowId>')
    .requiredOption('--comment <text>', 'why (recorded in the history and the registry audit)')
    .option('--as <actor>', 'who approves (default: MLOPS_ACTOR, else user@host)')
    .action(async (workflowId: string, opts: { comment: string; as?: string }) => {
      await decide(ctx, workflowId, 'approve', opts.as, opts.comment);
    });

  program
    .command('reject')
    .description('reject the candidate of a run that awaits approval')
    .argument('<workflowId>')
    .requiredOption('--reason <text>', 'why (recorded in the history and the registry audit)')
    .option('--as <actor>', 'who rejects (default: MLOPS_ACTOR, else user@host)')
    .action(async (workflowId: string, opts: { reason: string; as?: string }) => {
      await decide(ctx, workflowId, 'reject', opts.as, opts.reason);
    });

  program
    .command('cancel')
    .description('cancel a run: its training jobs stop, partial results are marked, it ends cancelled')
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      const { out } = ctx();
      const config = ctx().config();
      await withClient(config, async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        const description = await describeOrExplain(handle, workflowId);
        if (description.status.name !== 'RUNNING')
          throw new UserError(`${workflowId} is not running (${description.status.name.toLowerCase()})`, 1);
        await handle.cancel();
        out.result({ workflowId, cancelled: true }, () => `cancellation requested: ${workflowId}`);
      });
    });

  program
    .command('open')
    .description('print the Temporal UI URL of a run')
    .argument('<workflowId>')
    .action((workflowId: string) => {
      const url = uiUrl(ctx().config(), workflowId);
      ctx().out.result({ workflowId, url }, (r) => r.url);
    });
}

async function decide(
  ctx: () => CommandContext,
  workflowId: string,
  kind: 'approve' | 'reject',
  as: string | undefined,
  text: string,
): Promise<void> {
  const { out } = ctx();
  const config = ctx().config();
  const actor = as ?? config.actor ?? os.userInfo().username;
  if (text.trim() === '') throw new UserError(`--${kind === 'approve' ? 'comment' : 'reason'}: must not be empty`, 2);
  await withClient(config, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await describeOrExplain(handle, workflowId);
    let decision: ApprovalDecision;
    try {
      decision =
        kind === 'approve'
          ? await handle.executeUpdate(approveUpdate, { args: [{ actor, comment: text }] })
          : await handle.executeUpdate(rejectUpdate, { args: [{ actor, reason: text }] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new UserError(`${kind} refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, 1);
      }
      if (err instanceof WorkflowNotFoundError) {
        // the run ended between the describe and the update: say how it ended
        const status = await readStatus(handle).catch(() => undefined);
        const ended = status?.approval
          ? `already ${status.approval.decision} by ${status.approval.actor} at ${status.approval.at}`
          : `the run has ended${status ? ` (stage ${status.stage})` : ''}`;
        throw new UserError(`${kind} refused: ${ended}`, 1);
      }
      throw err;
    }
    out.result({ workflowId, ...decision }, (d) => `${d.decision} by ${d.actor}: ${d.comment}`);
  });
}

/** Prints step changes while the run goes on; returns its result (throws `WorkflowRunFailed` if it failed). */
async function follow(ctx: () => CommandContext, handle: WorkflowHandle): Promise<RetrainPipelineOutput> {
  const { out } = ctx();
  const seen = new Map<string, string>();
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  }) as Promise<RetrainPipelineOutput>;
  const poll = async () => {
    while (!done) {
      const status = await readStatus(handle).catch(() => undefined);
      if (status) {
        for (const step of status.steps) {
          const line = `${step.name}: ${step.state}${step.summary ? ` — ${step.summary}` : ''}`;
          if (seen.get(step.name) !== line && step.state !== 'pending') {
            seen.set(step.name, line);
            out.info(line);
          }
        }
        if (status.stage === 'awaiting-approval' && !seen.has('awaiting')) {
          seen.set('awaiting', '');
          out.info(
            `awaiting approval: mlops approve ${handle.workflowId} --comment "…"  (or mlops reject … --reason "…")`,
          );
        }
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
  };
  const [output] = await Promise.all([
    result.catch((err: unknown) => {
      throw explainWorkflowFailure(err, handle.workflowId);
    }),
    poll(),
  ]);
  return output;
}

async function readStatus(handle: WorkflowHandle): Promise<RetrainStatus> {
  return handle.query(statusQuery);
}

async function describeOrExplain(handle: WorkflowHandle, workflowId: string) {
  try {
    return await handle.describe();
  } catch {
    throw new UserError(`no run ${workflowId}`, 1);
  }
}

/** The Temporal UI page of a run: MLOPS_UI_URL, else the local stack's UI, else localhost:8233. */
export function uiUrl(config: LoadedConfig, workflowId: string): string {
  const base = (
    process.env.MLOPS_UI_URL ??
    readStackFile(config.home).temporal?.uiUrl ??
    'http://localhost:8233'
  ).replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function renderStatus(s: RetrainStatus & { workflowId: string }): string {
  const lines = [
    `${s.workflowId}: ${s.stage}${s.outcome ? ` (${s.outcome})` : ''} · pipeline ${s.pipeline} → ${s.model}${s.version ? ` v${s.version}` : ''}`,
    table(
      ['STEP', 'STATE', 'SUMMARY'],
      s.steps.map((st) => [st.name, st.state, st.summary ?? '']),
    ).trimEnd(),
  ];
  if (s.decision && !s.decision.passed)
    lines.push('rejected by:', ...s.decision.reasons.filter((r) => !r.passed).map((r) => `  ${r.gate}: ${r.message}`));
  if (s.approval)
    lines.push(
      `approval: ${s.approval.decision} by ${s.approval.actor}${s.approval.comment ? ` — ${s.approval.comment}` : ''}`,
    );
  for (const [k, v] of Object.entries(s.links)) lines.push(`${k}: ${v}`);
  return lines.join('\n');
}

function renderOutcome(r: RetrainPipelineOutput & { workflowId: string }): string {
  const head =
    r.outcome === 'unchanged'
      ? `unchanged: the champion${r.champion ? ` v${r.champion}` : ''} was trained on the same data, code and config`
      : r.outcome === 'approved'
        ? `approved: ${r.model} v${r.version}`
        : r.outcome === 'rolled-back'
          ? `rolled back: ${r.model} v${r.version}`
          : `rejected: ${r.model} v${r.version}`;
  return `${head}\n${renderStatus(r)}`;
}
