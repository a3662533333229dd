/**
 * The runStep block: any command as a job on the training task queue (local or Ray backend), with
 * named inputs (dataset snapshots, model folders, outputs of earlier steps) materialized into
 * `inputs/<name>/` of the job (`MLOPS_INPUT_<NAME>`). The job's output folder is then snapshotted into
 * a dataset (content-addressed: the same output is the same id), which later steps, `train` and the
 * version's lineage (`register`) use.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { TrainingBackendName, TrainingJob, TrainingJobInput } from '../../activities/training/types';
import { InvalidArgumentError, toApplicationFailure } from '../../common/failures';
import { formatMetric, shortId } from '../../common/format';
import { MlDatasetVersion } from '../../common/search-attributes';
import { codePackaging, snapshots, trainingJobs } from './activity-options';
import { codeOf, CODE_PACKAGES_PATCH } from './code';
import type { PipelineRun } from './run';
import type { SnapshotRef, StepOutput } from './types';
import { safeSegment } from './util';

/** An input of a step: a snapshot, a model folder in the store, or an earlier step's output. */
export type StepInput = SnapshotRef | { modelUri: string } | StepOutput;

export interface RunStepOptions {
  /** The step's name: `[a-z][a-z0-9-]*` (its row in the table, its store folder, its default dataset). */
  name: string;
  /** The command and its arguments, e.g. `['python', 'features.py']`. */
  command: string[];
  /**
   * Folder with the step's code, on the training worker's host (within its source roots). When the
   * spec carries code packages, it is packaged into the store first and the job runs the package.
   * @default the spec's training code (its package when the spec carries one)
   */
  codeDir?: string;
  /** Passed to the job as JSON in `MLOPS_PARAMS`. */
  params?: Record<string, unknown>;
  env?: Record<string, string>;
  /** @default the spec's training backend */
  backend?: TrainingBackendName;
  resources?: { cpu?: number; memoryMb?: number; gpus?: number };
  timeoutSeconds?: number;
  /** Named inputs (`[a-z][a-z0-9_]*`). */
  inputs?: Record<string, StepInput>;
  /** The dataset the output folder is snapshotted into. @default `<pipeline>-<step>` */
  output?: { dataset?: string };
  /** The row's summary while it runs. @default the command */
  summary?: string;
}

const STEP_NAME = /^[a-z][a-z0-9-]{0,47}$/;
const INPUT_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** Runs the step, snapshots its output, and records the output with the run; returns it. */
export async function runStep(run: PipelineRun, options: RunStepOptions): Promise<StepOutput> {
  const { spec, input } = run;
  const { name } = options;
  if (!STEP_NAME.test(name))
    throw invalid('name', `${JSON.stringify(name)} is not a step name ([a-z][a-z0-9-]*, at most 48)`);
  const inputs = Object.entries(options.inputs ?? {}).map(([key, value]) => jobInput(key, value));
  const dataset = options.output?.dataset ?? `${spec.name}-${name}`;
  const command = options.command.join(' ');
  const out = await run.step(
    name,
    (options.summary ?? command).slice(0, 200),
    async (): Promise<StepOutput> => {
      const code = await stepCode(run, options);
      const outcome = await trainingJobs(
        input.trainingTaskQueue,
        options.timeoutSeconds,
      ).runTrainingJob.executeWithOptions({ summary: `step ${name}: ${command}`.slice(0, 200) }, [
        {
          job: {
            name: `${spec.name}-${name}`,
            command: options.command,
            ...code,
            env: options.env,
            params: options.params ?? {},
            ...(inputs.length > 0 ? { inputs } : {}),
            outputPrefix: `experiments/${spec.name}/${safeSegment(run.id)}/steps/${name}`,
            resources: options.resources,
            timeoutSeconds: options.timeoutSeconds,
            backend: options.backend ?? spec.training.backend,
          },
          step: `step-${name}`,
        },
      ]);
      if (!outcome.outputUri) throw invalid(`steps.${name}`, 'the job uploaded no output');
      const snap = await snapshots.snapshotDataset.executeWithOptions(
        { summary: `snapshot the output of ${name} into ${dataset}`.slice(0, 200) },
        [{ dataset, source: outcome.outputUri, description: `step ${name} of ${spec.name} ${run.id}` }],
      );
      return {
        step: name,
        outputUri: outcome.outputUri,
        metrics: outcome.metrics,
        snapshot: { dataset: snap.dataset, id: snap.id, fileCount: snap.fileCount, created: snap.created },
      };
    },
    (o) => ({
      summary: [
        `${o.snapshot.dataset}@${shortId(o.snapshot.id)}: ${o.snapshot.fileCount} files`,
        ...Object.entries(o.metrics)
          .slice(0, 4)
          .map(([k, v]) => `${k}=${formatMetric(v)}`),
      ].join(', '),
      metrics: o.metrics,
    }),
  );
  run.outputs.push(out);
  // a step that makes the pipeline's own dataset (an extract) gives the run its dataset version
  if (dataset === spec.dataset.name) {
    run.status.snapshot = out.snapshot.id;
    upsertSearchAttributes([{ key: MlDatasetVersion, value: out.snapshot.id }]);
  }
  return out;
}

/**
 * The code of a step's job: without `codeDir`, the training section's (its package, if any); with
 * one, and a spec that carries packages, that folder packaged on the training host, by digest.
 */
async function stepCode(
  run: PipelineRun,
  options: RunStepOptions,
): Promise<Pick<TrainingJob, 'codeDir' | 'codePackage'>> {
  const { spec, input } = run;
  if (options.codeDir === undefined) return codeOf(spec.training);
  if (spec.training.codePackage === undefined || !patched(CODE_PACKAGES_PATCH)) return { codeDir: options.codeDir };
  const pkg = await codePackaging(input.trainingTaskQueue).packageCode.executeWithOptions(
    { summary: `package the code of step ${options.name}`.slice(0, 200) },
    [{ folder: options.codeDir }],
  );
  return { codePackage: { digest: pkg.digest } };
}

function jobInput(name: string, value: StepInput): TrainingJobInput {
  if (!INPUT_NAME.test(name)) throw invalid(`inputs.${name}`, 'not an input name ([a-z][a-z0-9_]*, at most 32)');
  if ('modelUri' in value) return { name, modelUri: value.modelUri };
  const ref = 'snapshot' in value ? value.snapshot : value;
  return { name, snapshot: { dataset: ref.dataset, snapshot: ref.id } };
}

/** A mistake in the pipeline's code: the run fails at once (a retry would fail the same way). */
function invalid(field: string, problem: string) {
  return toApplicationFailure(new InvalidArgumentError(field, problem));
}
