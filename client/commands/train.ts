/** `mlops train <job.yaml>`: runs one training job as the durable, tracked `trainModel` workflow. */
import type { Command } from 'commander';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { trainingJobSpecSchema } from '../../common/schemas/training-job';
import { trainModel, type TrainModelOutput } from '../../workflows/train-model';
import { followProgress, pendingHeartbeat } from '../activity-progress';
import { describePackaged, packageJobCode } from '../code-packages';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { jobFromSpec, readYamlFile } from '../job-file';
import { collect, withOverrides } from '../options';
import { table } from '../output';
import { hiddenWaitOption } from '../progress';
import { explainWorkflowFailure } from '../workflow-errors';

export function registerTrain(program: Command, ctx: () => CommandContext): void {
  program
    .command('train')
    .description('run a training job (a YAML file) on the training backend, tracked as an experiment')
    .argument('<job>', 'job file, e.g. examples/churn/train.yaml')
    .option('--set <key=value>', 'override a param (repeatable; values parsed as JSON)', collect, [])
    .option('--backend <local|ray>', "where the job runs (overrides the file's backend)")
    .addOption(hiddenWaitOption())
    .option('--no-wait', 'start the run and print its id without waiting')
    .action(async (file: string, opts: { set: string[]; wait?: boolean; backend?: string }) => {
      const { out } = ctx();
      const config = ctx().config();
      const { value: spec, dir } = readYamlFile(file, trainingJobSpecSchema);
      const params = withOverrides(spec.params, opts.set);
      const backend = opts.backend ?? spec.backend;
      if (backend !== 'local' && backend !== 'ray') {
        throw new UserError(`--backend: must be local or ray (got ${JSON.stringify(backend)})`, 2);
      }
      const workflowId = `train/${spec.pipeline}/${new Date().toISOString()}`;
      const { job, packages } = await packageJobCode(
        createBlobStore(config.store),
        jobFromSpec(spec, dir, params, backend),
        {
          maxBytes: config.codePackageMaxBytes,
          field: `${file}: codeDir`,
          onPackage: (p) => out.info(describePackaged(p)),
        },
      );
      await withClient(config, async (client) => {
        const handle = await client.workflow.start(trainModel, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [
            {
              pipeline: spec.pipeline,
              trainingTaskQueue: config.trainingTaskQueue,
              primaryMetric: spec.primaryMetric,
              job,
            },
          ],
          staticSummary: `train ${spec.name} (${spec.pipeline}) on ${backend} ${JSON.stringify(params)}`.slice(0, 200),
        });
        out.info(`started ${workflowId}`);
        if (opts.wait === false) {
          out.result({ workflowId, runId: handle.firstExecutionRunId, packages }, (r) => r.workflowId);
          return;
        }
        const result = await followProgress(
          handle.result().catch((err: unknown) => {
            throw explainWorkflowFailure(err, workflowId);
          }),
          () => pendingHeartbeat<TrainingHeartbeat>(client, handle),
          (beat) => out.info(progressLine(beat)),
          1000,
        );
        out.result({ workflowId, packages, ...result }, renderTrained);
      });
    });
}

function progressLine(beat: TrainingHeartbeat): string {
  const metrics = Object.entries(beat.latestMetrics)
    .map(([name, m]) => `${name}=${m.value.toPrecision(4)}@${m.step}`)
    .join(' ');
  return `job ${beat.jobId}: ${beat.state}${metrics ? ` ${metrics}` : ''}`;
}

function renderTrained(r: TrainModelOutput & { workflowId: string }): string {
  return [
    `trained: ${r.workflowId} (job ${r.jobId})`,
    `output ${r.outputUri}`,
    table(
      ['METRIC', 'VALUE'],
      Object.entries(r.metrics).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toPrecision(4)]),
    ).trimEnd(),
  ].join('\n');
}
