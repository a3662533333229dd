/**
 * The evaluate block: every candidate and the champion scored by the evaluation job on the same
 * holdout snapshot, in parallel; the champion's evaluation is cached per version and holdout (a
 * retrain on unchanged holdout data reads it instead of scoring again).
 */
import type { ModelVersionSummary } from '../../activities/registry/types';
import type { EvaluationSummary } from '../../common/evaluation';
import { EvaluationMissingError, toApplicationFailure } from '../../common/failures';
import { formatMetric, shortId } from '../../common/format';
import { light, quick, trainingJobs } from './activity-options';
import { codeOf } from './code';
import type { PipelineRun } from './run';
import type { SnapshotRef, TrainedModel } from './types';
import { numbers, pick, safeSegment } from './util';

/** The holdout every model is scored on: a dataset snapshot, and a file in it when the spec names one. */
export interface Holdout {
  dataset: string;
  snapshot: string;
  file?: string;
}

/** One model's evaluation: its label, where evaluation.json is, its summary and metrics. */
export interface ModelEvaluation {
  label: string;
  /** Store key of its evaluation.json. */
  key: string;
  summary: EvaluationSummary;
  /** The summary's finite metrics. */
  metrics: Record<string, number>;
  /** Read from the cache of an earlier run (champions only). */
  cached: boolean;
}

export interface CandidateEvaluation extends ModelEvaluation {
  trained: TrainedModel;
}

export interface Evaluation {
  holdout: Holdout;
  /** In the order of `candidates`. */
  candidates: CandidateEvaluation[];
  /** Absent when the model has no champion yet. */
  champion?: ModelEvaluation & { version: number };
}

export interface EvaluateOptions {
  candidates: TrainedModel[];
  champion: ModelVersionSummary | null | undefined;
  /** The run's snapshot (the holdout's when the spec names a file of it). */
  snapshot: SnapshotRef;
  /** @default 'evaluate' */
  step?: string;
}

export async function evaluate(run: PipelineRun, options: EvaluateOptions): Promise<Evaluation> {
  const { spec, input } = run;
  const section = spec.evaluation;
  const { champion, snapshot: snap } = options;
  const step = options.step ?? 'evaluate';
  run.stage('evaluate');
  const several = options.candidates.length > 1;
  const subject = several ? `${options.candidates.length} candidates` : 'candidate';
  run.begin(step, champion ? `${subject} vs champion v${champion.version}` : `${subject} (no champion yet)`);
  // lean: the holdout's ref and the evaluations are quick store reads, run as local activities
  const reads = run.lean ? quick : light;
  const holdout: Holdout =
    'file' in section.holdout
      ? { dataset: snap.dataset, snapshot: snap.id, file: section.holdout.file }
      : {
          dataset: section.holdout.dataset,
          snapshot: (
            await reads.resolveSnapshot.executeWithOptions(
              { summary: `pin holdout ${section.holdout.dataset}@${section.holdout.snapshot}` },
              [{ dataset: section.holdout.dataset, snapshot: section.holdout.snapshot }],
            )
          ).id,
          file: undefined,
        };

  const score = async (label: string, modelUri: string, prefix: string, cached: boolean): Promise<ModelEvaluation> => {
    if (cached) {
      // an activity task even when lean: a local activity would hold back the candidates' jobs,
      // scheduled in the same workflow task, until it ended
      const found = await light.readEvaluation.executeWithOptions({ summary: `cached evaluation of ${label}` }, [
        { outputPrefix: prefix },
      ]);
      if (found)
        return { label, key: found.key, summary: found.summary, metrics: numbers(found.summary.metrics), cached: true };
    }
    await trainingJobs(input.trainingTaskQueue, section.timeoutSeconds).runTrainingJob.executeWithOptions(
      { summary: `evaluate ${label} on ${holdout.dataset}@${shortId(holdout.snapshot)}` },
      [
        {
          job: {
            name: `${spec.name}-evaluate`,
            command: section.entrypoint,
            ...codeOf(section),
            env: holdout.file ? { MLOPS_HOLDOUT_FILE: holdout.file } : {},
            params: {},
            input: { dataset: holdout.dataset, snapshot: holdout.snapshot },
            modelUri,
            outputPrefix: prefix,
            timeoutSeconds: section.timeoutSeconds,
            backend: spec.training.backend,
          },
          step: `evaluate-${label.replace(/[^a-z0-9]+/gi, '-')}`,
        },
      ],
    );
    const read = await reads.readEvaluation.executeWithOptions({ summary: `read the evaluation of ${label}` }, [
      { outputPrefix: prefix },
    ]);
    if (!read) throw toApplicationFailure(new EvaluationMissingError(label));
    return { label, key: read.key, summary: read.summary, metrics: numbers(read.summary.metrics), cached: false };
  };

  const candidatesRoot = `models/${spec.model}/evaluations/candidates/${safeSegment(run.id)}`;
  // the candidates' jobs are scheduled first, then the champion's (in this order in recorded histories)
  const candidates = Promise.all(
    options.candidates.map(async (trained, i): Promise<CandidateEvaluation> => {
      const label = trained.label ? `candidate ${trained.label}` : several ? `candidate ${i + 1}` : 'candidate';
      const prefix = several ? `${candidatesRoot}/${safeSegment(trained.label ?? String(i + 1))}` : candidatesRoot;
      return { ...(await score(label, trained.outputUri, prefix, false)), trained };
    }),
  );
  const championEval = champion
    ? score(
        `champion v${champion.version}`,
        champion.artifactUri,
        `models/${spec.model}/versions/${champion.version}/evaluations/${holdout.dataset}-${holdout.snapshot}${holdout.file ? `-${safeSegment(holdout.file)}` : ''}`,
        true,
      ).then((e) => ({ ...e, version: champion.version }))
    : Promise.resolve(undefined);
  const [candidateEvals, championResult] = await Promise.all([candidates, championEval]);
  const evaluation: Evaluation = { holdout, candidates: candidateEvals, champion: championResult };
  const primary = section.primaryMetric;
  const first = evaluation.candidates[0]!;
  run.end(
    step,
    'done',
    `${primary} ${evaluation.candidates.map((c) => formatMetric(c.metrics[primary])).join(', ')}${
      championResult
        ? ` vs ${formatMetric(championResult.metrics[primary])}${championResult.cached ? ' (cached)' : ''}`
        : ''
    }`,
    pick(first.metrics, 5),
  );
  return evaluation;
}
