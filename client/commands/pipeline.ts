/**
 * `mlops pipeline validate <file...>`: checks pipeline spec files without running anything.
 * `mlops pipeline apply [file|dir...] [--dry-run] [--prune]`: makes the cluster's retrain schedules
 * match the specs' `schedule` sections; prints the plan, then applies it.
 */
import { approverNames, requiresSignatures } from '../../common/signed-decision';
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import { configuredGates } from '../../common/gates';
import type { PipelineSpec } from '../../common/schemas/spec';
import type { CommandContext } from '../context';
import { checkPipelineSpec, formatSpecIssues, type SpecIssue } from '../pipeline-spec';
import { registerPipelineApply } from './pipeline-apply';
import { EXIT } from '../exit-codes';

/** What `validate` reports about a valid spec. */
export interface PipelineSpecSummary {
  pipeline: string;
  model: string;
  backend: PipelineSpec['training']['backend'];
  sweep: boolean;
  gates: string[];
  /** `signed`: decisions must be signed by an approver's key (some approver has one). */
  approval: { required: boolean; approvers?: string[]; signed?: boolean; timeout?: string };
  rollout?: { endpoint: string; strategy: string };
  monitoring?: { interval: string; endpoint: string };
  notifications?: { webhookEnv: string; events: string[] };
  schedule?: { cron: string; timezone: string; overlap: string };
}

export interface ValidatedFile {
  file: string;
  ok: boolean;
  errors?: SpecIssue[];
  summary?: PipelineSpecSummary;
}

export function registerPipeline(program: Command, ctx: () => CommandContext): void {
  const pipeline = program
    .command('pipeline')
    .description('pipeline spec files (YAML in MLOPS_PIPELINES_DIR, default ./pipelines)');

  pipeline
    .command('validate')
    .description('check pipeline spec files: the schema, code folders and entrypoints (exit 2 if any is invalid)')
    .argument('<file...>', 'spec files, e.g. examples/churn/pipeline.yaml')
    .action((files: string[]) => {
      const { out } = ctx();
      const { sourceRoots } = ctx().config();
      const results: ValidatedFile[] = files.map((file) => {
        const check = checkPipelineSpec(file, { sourceRoots });
        return check.ok
          ? { file, ok: true, summary: summarize(check.loaded.spec) }
          : { file, ok: false, errors: check.errors };
      });
      if (out.json) out.result({ files: results }, () => '');
      else {
        for (const r of results) {
          if (r.ok) out.result(r, renderOk);
          else process.stderr.write(formatSpecIssues(r.file, r.errors ?? []) + '\n');
        }
      }
      const bad = results.filter((r) => !r.ok).length;
      if (bad > 0) {
        throw new UserError(
          files.length === 1
            ? `${files[0]} is not a valid pipeline spec`
            : `${bad} of ${files.length} pipeline specs are invalid`,
          EXIT.badInput,
        );
      }
    });

  registerPipelineApply(pipeline, ctx);
}

function summarize(spec: PipelineSpec): PipelineSpecSummary {
  const approval = spec.approval;
  return {
    pipeline: spec.name,
    model: spec.model,
    backend: spec.training.backend,
    sweep: spec.training.sweep !== undefined,
    gates: configuredGates(spec.evaluation.gates),
    approval: approval?.required
      ? {
          required: true,
          approvers: approverNames(approval.approvers),
          signed: requiresSignatures(approval.approvers),
          timeout: approval.timeout,
        }
      : { required: false },
    rollout: spec.rollout ? { endpoint: spec.rollout.endpoint, strategy: spec.rollout.strategy } : undefined,
    monitoring:
      spec.monitoring && spec.rollout
        ? { interval: spec.monitoring.interval, endpoint: spec.rollout.endpoint }
        : undefined,
    notifications: spec.notifications
      ? { webhookEnv: spec.notifications.webhookEnv, events: spec.notifications.events }
      : undefined,
    schedule: spec.schedule
      ? { cron: spec.schedule.cron, timezone: spec.schedule.timezone, overlap: spec.schedule.overlap }
      : undefined,
  };
}

function renderOk(r: ValidatedFile): string {
  const s = r.summary!;
  const parts = [
    `pipeline ${s.pipeline}`,
    `model ${s.model}`,
    `${s.gates.length} gate${s.gates.length === 1 ? '' : 's'}`,
    `approval ${s.approval.required ? 'required' : 'not required'}`,
    s.schedule ? `schedule "${s.schedule.cron}" ${s.schedule.timezone}, overlap ${s.schedule.overlap}` : 'no schedule',
  ];
  if (s.rollout) parts.push(`rollout ${s.rollout.strategy} to ${s.rollout.endpoint}`);
  if (s.monitoring) parts.push(`drift monitoring every ${s.monitoring.interval}`);
  return `${r.file}: ok (${parts.join(', ')})`;
}
