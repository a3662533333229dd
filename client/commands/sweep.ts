/**
 * `mlops sweep <sweep.yaml>`: a hyperparameter sweep as the durable `hyperparameterSweep` workflow
 * (one child workflow per trial). Waits, printing the trials done, running and failed and the best so far
 * as they change, then the leaderboard and the report's location; `--no-wait` prints the run id at once.
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { sweepSectionSchema, sweepSpecSchema, type SweepSection } from '../../common/schemas/sweep';
import { sweepTrials } from '../../common/sweep-plan';
import {
  hyperparameterSweep,
  sweepProgressQuery,
  type HyperparameterSweepOutput,
  type SweepProgress,
} from '../../workflows/hyperparameter-sweep';
import { describePackaged, packageJobCode } from '../code-packages';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { jobFromSpec, readYamlFile } from '../job-file';
import { collect, positiveInt, withOverrides } from '../options';
import { follow, hiddenWaitOption, sweepChanges } from '../progress';
import { renderSweep } from '../render/sweep';

export function registerSweep(program: Command, ctx: () => CommandContext): void {
  program
    .command('sweep')
    .description('run a hyperparameter sweep (a YAML file): one tracked trial per point of the search space')
    .argument('<sweep>', 'sweep file, e.g. examples/churn/sweep.yaml')
    .option('--set <key=value>', 'override a fixed param (repeatable; values parsed as JSON)', collect, [])
    .option('--max-trials <n>', 'override sweep.maxTrials', positiveInt('--max-trials'))
    .option('--parallelism <n>', 'override sweep.parallelism', positiveInt('--parallelism'))
    .addOption(hiddenWaitOption())
    .option('--no-wait', 'print the run id at once instead of following the trials and printing the leaderboard')
    .action(async (file: string, opts: { set: string[]; maxTrials?: number; parallelism?: number; wait?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      const { value: spec, dir } = readYamlFile(file, sweepSpecSchema);
      const params = withOverrides(spec.params, opts.set);
      const sweep = withSweepFlags(file, spec.sweep, opts);
      const total = sweepTrials(sweep).length;
      const workflowId = `sweep/${spec.pipeline}/${new Date().toISOString()}`;
      const { job, packages } = await packageJobCode(createBlobStore(config.store), jobFromSpec(spec, dir, params), {
        maxBytes: config.codePackageMaxBytes,
        field: `${file}: codeDir`,
        onPackage: (p) => out.info(describePackaged(p)),
      });
      await withClient(config, async (client) => {
        const handle = await client.workflow.start(hyperparameterSweep, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [
            {
              pipeline: spec.pipeline,
              trainingTaskQueue: config.trainingTaskQueue,
              sweep,
              job,
            },
          ],
          staticSummary:
            `sweep ${spec.name} (${spec.pipeline}): ${sweep.algorithm}, ${total} trials, ${sweep.objective.direction} ${sweep.objective.metric}`.slice(
              0,
              200,
            ),
        });
        out.info(`started ${workflowId} (${total} trials, ${sweep.parallelism} at once)`);
        if (opts.wait === false) {
          out.result({ workflowId, runId: handle.firstExecutionRunId, trials: total, packages }, (r) => r.workflowId);
          return;
        }
        const result = await follow<HyperparameterSweepOutput, SweepProgress>(out, {
          handle,
          followWith: `mlops status ${workflowId} --watch`,
          read: () => handle.query(sweepProgressQuery),
          changes: sweepChanges(sweep.objective.metric),
        });
        out.result({ workflowId, packages, ...result }, renderSweep);
      });
    });
}

/** Flags that override a field of the sweep section, by that field. */
const SWEEP_FLAGS = { maxTrials: '--max-trials', parallelism: '--parallelism' } as const;

/**
 * The sweep section with the flags applied, checked by the same schema as the file (so
 * `--parallelism 100000` is refused as `parallelism: 100000` in the file is); a `UserError` (exit 2)
 * names the flag, or the file's field for a problem the flags did not cause.
 */
export function withSweepFlags(
  file: string,
  section: SweepSection,
  flags: { maxTrials?: number; parallelism?: number },
): SweepSection {
  const merged = {
    ...section,
    ...(flags.maxTrials !== undefined ? { maxTrials: flags.maxTrials } : {}),
    ...(flags.parallelism !== undefined ? { parallelism: flags.parallelism } : {}),
  };
  const parsed = sweepSectionSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const flag = SWEEP_FLAGS[field as keyof typeof SWEEP_FLAGS];
    return flag && flags[field as keyof typeof flags] !== undefined
      ? `${flag}: ${issue.message}`
      : `${file}: sweep.${issue.path.map(String).join('.')}: ${issue.message}`;
  });
  throw new UserError(lines.join('\n'), 2);
}
