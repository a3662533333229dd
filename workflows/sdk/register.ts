/**
 * The register block: the candidate as a new version of the spec's model (`candidate` when the gates
 * passed, else `rejected`), with its lineage: training and holdout snapshots, code version, the
 * run, and the outputs of the run's own steps.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { GateDecision } from '../../common/gates';
import { MlModelVersion } from '../../common/search-attributes';
import { InvalidArgumentError, toApplicationFailure } from '../../common/failures';
import { light } from './activity-options';
import type { Prior } from './champion';
import type { Evaluation } from './evaluate';
import type { PipelineRun } from './run';
import type { RegisteredVersion, StepOutput } from './types';
import { prefixed } from './util';

export interface RegisterOptions {
  evaluation: Evaluation;
  /** The index of the registered candidate in `evaluation.candidates`. @default 0 */
  candidate?: number;
  decision: GateDecision;
  prior: Prior;
  /** Step outputs recorded in the lineage. @default every `runStep` output of the run */
  steps?: StepOutput[];
  /** @default the run's `report` link */
  reportUri?: string;
}

export async function register(run: PipelineRun, options: RegisterOptions): Promise<RegisteredVersion> {
  const { spec } = run;
  const { evaluation, decision, prior } = options;
  const candidate = evaluation.candidates[options.candidate ?? 0];
  if (!candidate)
    throw toApplicationFailure(
      new InvalidArgumentError('candidate', `no candidate ${options.candidate} among ${evaluation.candidates.length}`),
    );
  const { trained } = candidate;
  const status = decision.passed ? 'candidate' : 'rejected';
  const steps = (options.steps ?? run.outputs).map((s) => ({
    step: s.step,
    dataset: s.snapshot.dataset,
    id: s.snapshot.id,
  }));
  const reportUri = options.reportUri ?? run.status.links.report;
  const metrics = { ...prefixed(trained.metrics, 'train.'), ...candidate.metrics };
  run.begin('register', `register ${spec.model}`);
  const registered = await light.registerModel.executeWithOptions({ summary: `register ${spec.model} (${status})` }, [
    {
      model: spec.model,
      artifactUri: trained.outputUri,
      metrics,
      params: trained.params,
      trainingSnapshot: { dataset: trained.snapshot.dataset, id: trained.snapshot.id },
      evaluationSnapshot: { dataset: evaluation.holdout.dataset, id: evaluation.holdout.snapshot },
      ...(steps.length > 0 ? { steps } : {}),
      codeVersion: prior.codeVersion,
      pipelineRun: run.id,
      trigger: run.input.trigger,
      status,
      description: spec.description,
      tags: {
        trainingConfig: prior.trainingConfig,
        ...(reportUri !== undefined ? { evaluationReport: reportUri } : {}),
        pipeline: spec.name,
      },
      actor: `pipeline:${run.id}`,
    },
  ]);
  run.status.version = registered.version;
  upsertSearchAttributes([{ key: MlModelVersion, value: `${spec.model}:${registered.version}` }]);
  run.end('register', 'done', `${spec.model} v${registered.version} (${status})`);
  return { model: spec.model, version: registered.version, status, artifactUri: trained.outputUri, metrics };
}
