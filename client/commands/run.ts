/**
 * `mlops run <pipeline> [--spec file] [--set k=v] [--force] [--reason "…"] [--no-wait]`: starts the spec's
 * pipeline (its `workflow`, else the built-in retrain pipeline) and waits, printing each step as it changes; exits 1
 * when the run failed, 4 when it was rejected or rolled back. `--no-wait` prints the run's id at once.
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import type { PipelineSpec } from '../../common/schemas/spec';
import { startPipeline, TRIGGER_PATTERN } from '../api';
import { formatBytes } from '../../common/format';
import { describePackaged, packageSpecCode, type PackagedCode } from '../code-packages';
import { describeUpload, uploadSpecDataset, type DatasetUpload } from '../upload-dataset';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { collect, withOverrides } from '../options';
import { checkPipelineFiles, findPipelineSpec, formatSpecIssues, loadPipelineSpec } from '../pipeline-spec';
import { renderOutcome } from '../render/retrain';
import { followRetrain } from '../retrain-run';
import { hiddenWaitOption } from '../progress';
import { uiUrl } from '../ui-url';
import { EXIT } from '../exit-codes';

export function registerRun(program: Command, ctx: () => CommandContext): void {
  program
    .command('run')
    .description(
      "run a pipeline: the spec's workflow, else the built-in one (snapshot, train, evaluate against the champion, register, approve)",
    )
    .argument('<pipeline>', 'the pipeline name (its spec is found in MLOPS_PIPELINES_DIR, default ./pipelines)')
    .option('--spec <file>', 'the pipeline spec file (instead of looking the name up)')
    .option('--set <key=value>', 'override a training param (repeatable; values parsed as JSON)', collect, [])
    .option('--force', 'train and evaluate even when data, code and config equal the champion’s')
    .option('--reason <text>', 'why this run (recorded with it)')
    .option('--trigger <kind>', 'what started the run: manual, ci, schedule, drift', 'manual')
    .addOption(hiddenWaitOption())
    .option('--no-wait', 'print the run id at once instead of following the steps until the run ends')
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
        const issues = checkPipelineFiles(loaded, { sourceRoots: config.sourceRoots });
        if (issues.length > 0) throw new UserError(formatSpecIssues(loaded.file, issues), 2);
        const params = withOverrides(loaded.spec.training.params, opts.set);
        if (!TRIGGER_PATTERN.test(opts.trigger))
          throw new UserError(`--trigger: expected a word such as manual, ci, schedule or drift`, 2);
        const { spec, packages, data } = await prepareSpec(ctx, {
          ...loaded.spec,
          training: { ...loaded.spec.training, params },
        });
        await withClient(config, async (client) => {
          const { workflowId, runId, workflowType, handle } = await startPipeline(client, {
            spec,
            specFile: loaded.file,
            trigger: opts.trigger,
            actor: config.actor,
            force: opts.force ?? false,
            reason: opts.reason,
            taskQueue: config.taskQueue,
            trainingTaskQueue: config.trainingTaskQueue,
            servingTaskQueue: config.servingTaskQueue,
          });
          const url = uiUrl(config, workflowId);
          out.info(`started ${workflowId}${spec.workflow ? ` (workflow ${workflowType})` : ''}\n${url}`);
          if (opts.wait === false) {
            out.result({ workflowId, runId, workflowType, url, packages, data }, (r) => r.workflowId);
            return;
          }
          const result = await followRetrain(ctx, handle);
          out.result({ workflowId, url, packages, data, ...result }, renderOutcome);
          if (result.outcome === 'rejected' || result.outcome === 'rolled-back') process.exitCode = EXIT.rejected;
        });
      },
    );
}

/**
 * What a spec needs before its run starts: its code folders packaged into the store, the spec then
 * carrying their digests (../code-packages.ts), and a dataset folder of this machine uploaded, the
 * spec then reading `upload://<hex>` (../upload-dataset.ts; not with `dataset.workerPath`); each
 * reported on stderr.
 */
export async function prepareSpec(
  ctx: () => CommandContext,
  spec: PipelineSpec,
): Promise<{ spec: PipelineSpec; packages: PackagedCode[]; data?: DatasetUpload }> {
  const { out } = ctx();
  const config = ctx().config();
  const store = createBlobStore(config.store);
  const packaged = await packageSpecCode(store, spec, {
    maxBytes: config.codePackageMaxBytes,
    onPackage: (p) => out.info(describePackaged(p)),
  });
  // a folder of the CLI's machine: hashed here, only the blobs the store lacks uploaded (upload://)
  const uploaded = await uploadSpecDataset(store, packaged.spec, {
    cacheDir: config.cacheDir,
    maxFiles: config.maxSnapshotFiles,
    onProgress: (p) =>
      out.info(
        `${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`,
      ),
  });
  if (uploaded.upload) out.info(describeUpload(uploaded.upload));
  return { spec: uploaded.spec, packages: packaged.packages, ...(uploaded.upload && { data: uploaded.upload }) };
}
