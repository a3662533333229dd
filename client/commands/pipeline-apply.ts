/**
 * `mlops pipeline apply [file|dir...] [--dry-run] [--prune]` (a subcommand of `pipeline`): reconciles
 * the retrain schedules (`retrain/<pipeline>`) with the specs' `schedule` sections. Every spec is
 * checked first (any invalid: every problem listed, exit 2, nothing changed); then the plan is
 * printed and, unless --dry-run, applied. Only schedules this command created are updated or deleted.
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import type { CommandContext } from '../context';
import { withClient } from '../connect';
import { formatSpecIssues } from '../pipeline-spec';
import { refuseLocalScheduledSource } from '../upload-dataset';
import { describePackaged } from '../code-packages';
import {
  applyPlan,
  declarePipelines,
  packageDeclared,
  readExistingSchedules,
  specFilesOf,
  type DeclaredPackage,
} from '../schedules/apply';
import {
  computePlan,
  countActions,
  hasChanges,
  renderPlan,
  type DeclaredPipeline,
  type PlanAction,
  type PlanEntry,
} from '../schedules/plan';
import { EXIT } from '../exit-codes';

/** What `pipeline apply --json` prints. */
export interface ApplyReport {
  files: string[];
  dryRun: boolean;
  prune: boolean;
  plan: PlanEntry[];
  counts: Record<PlanAction, number>;
  /** Whether the plan's changes were made (false for --dry-run and for a plan without changes). */
  applied: boolean;
  /** The code packages of the scheduled pipelines (their digests are in the schedules' specs). */
  packages: DeclaredPackage[];
}

export function registerPipelineApply(pipeline: Command, ctx: () => CommandContext): void {
  pipeline
    .command('apply')
    .description(
      'create, update (and with --prune delete) the retrain schedules so they match the specs; prints the plan first',
    )
    .argument('[paths...]', 'spec files or folders of them (default: MLOPS_PIPELINES_DIR, ./pipelines)')
    .option('--dry-run', 'print the plan and change nothing')
    .option(
      '--prune',
      'delete the schedules this command made (on this MLOPS_TASK_QUEUE) whose pipeline is gone or has no schedule section',
    )
    .action(async (paths: string[], opts: { dryRun?: boolean; prune?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      const files = specFilesOf(paths.length > 0 ? paths : [config.pipelinesDir]);
      const declared = declarePipelines(files, config);
      if (!declared.ok) {
        if (out.json) out.result({ files, ok: false, invalid: declared.invalid }, () => '');
        else for (const f of declared.invalid) process.stderr.write(formatSpecIssues(f.file, f.errors) + '\n');
        throw new UserError(
          `${declared.invalid.length} of ${files.length} pipeline spec${files.length === 1 ? ' is' : 's are'} invalid; nothing was changed`,
          EXIT.badInput,
        );
      }
      const dryRun = opts.dryRun ?? false;
      const prepared = await prepareSpecs(ctx, declared.declared, dryRun);
      await withClient(config, async (client) => {
        const existing = await readExistingSchedules(client, prepared.declared, config.taskQueue);
        const plan = computePlan(prepared.declared, existing, opts.prune ?? false);
        const conflicts = plan.filter((e) => e.action === 'conflict');
        const apply = !dryRun && conflicts.length === 0 && hasChanges(plan);
        // the plan is printed before anything changes, so a failure part-way is readable against it
        if (!out.json) process.stdout.write(renderPlan(plan));
        if (apply) await applyPlan(client, plan, prepared.declared);
        const report: ApplyReport = {
          files,
          dryRun,
          prune: opts.prune ?? false,
          plan,
          counts: countActions(plan),
          applied: apply,
          packages: prepared.packages,
        };
        out.result(report, renderOutcome);
        if (conflicts.length > 0)
          throw new UserError(
            `${conflicts.length} schedule${conflicts.length === 1 ? '' : 's'} in the way; nothing was changed`,
            EXIT.failed,
          );
      });
    });
}

/**
 * What the scheduled specs need before they are compared and applied: a dataset source the workers
 * can read (a folder of this machine is refused), and their code packaged into the store (the
 * desired schedules' specs carry the digests; a dry run computes them only).
 */
async function prepareSpecs(ctx: () => CommandContext, declared: readonly DeclaredPipeline[], dryRun: boolean) {
  const { out } = ctx();
  const config = ctx().config();
  // a scheduled run cannot read a folder of this machine: refused before anything is uploaded
  for (const d of declared) if (d.desired && d.loaded) refuseLocalScheduledSource(d.loaded);
  return packageDeclared(createBlobStore(config.store), declared, config, {
    dryRun,
    onPackage: (p) => out.info(`${p.pipeline}: ${describePackaged(p)}`),
  });
}

/** The line after the plan: what was (or would be) done. */
function renderOutcome(r: ApplyReport): string {
  const c = r.counts;
  const lines: string[] = [];
  if (!hasChanges(r.plan)) lines.push('no changes');
  else if (r.dryRun) lines.push(`dry run: would create ${c.create}, update ${c.update}, delete ${c.delete}`);
  else if (r.applied) lines.push(`applied: ${c.create} created, ${c.update} updated, ${c.delete} deleted`);
  if (c.kept > 0 && !r.prune)
    lines.push(`${c.kept} schedule${c.kept === 1 ? '' : 's'} no longer declared; run with --prune to delete`);
  return lines.join('\n');
}
