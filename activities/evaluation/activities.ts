/**
 * Evaluation activities: read what an evaluation job wrote (a compact summary for the workflow,
 * never its curves), render the evaluation report, and version the code a model came from.
 * Malformed files fail non-retryably (`EvaluationInvalid`), as do bad arguments (`InvalidArgument`);
 * store errors stay retryable.
 */
import { InvalidArgumentError, NotFoundError } from '../../common/failures';
import type { EvaluationRef } from '../../common/evaluation';
import type { GateDecision } from '../../common/gates';
import { asActivity } from '../failures';
import { renderEvaluationReport, reportKeys, type EvaluatedModel, type ReportRef } from '../reports';
import { validateKey } from '../storage/keys';
import type { BlobStore } from '../storage/types';
import { codeVersionOf } from './code-version';
import { parseEvaluation, type EvaluationFile } from './evaluation-file';

const HTML = { contentType: 'text/html; charset=utf-8' };

export interface ReadEvaluationInput {
  /** The evaluation job's output prefix (`runTrainingJob`'s `job.outputPrefix`). */
  outputPrefix: string;
}

/** One side of the comparison: a label for people and the store key of its evaluation.json. */
export interface EvaluatedModelRef {
  label: string;
  evaluationKey: string;
}

export interface WriteEvaluationReportInput {
  pipeline: string;
  /** The pipeline run (its workflow id); names the report. */
  run: string;
  model: string;
  primaryMetric: string;
  direction: 'maximize' | 'minimize';
  candidate: EvaluatedModelRef;
  /** Absent for a model's first version. */
  champion?: EvaluatedModelRef;
  decision: GateDecision;
  /** The metrics of the table, in order; by default the usual ones present. */
  metrics?: string[];
}

export interface CodeVersionInput {
  /** Folders on the worker whose files make the version (e.g. the training and evaluation code). */
  dirs: string[];
}

/** Builds the evaluation activities on `deps.store`. */
export function createEvaluationActivities(deps: { store: BlobStore }) {
  const { store } = deps;
  const readFile = async (key: string): Promise<EvaluationFile | null> => {
    let bytes: Buffer;
    try {
      bytes = await store.getBytes(key);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    return parseEvaluation(bytes.toString('utf8'), key);
  };
  const requireFile = async (field: string, key: unknown): Promise<EvaluationFile> => {
    if (typeof key !== 'string') throw new InvalidArgumentError(field, 'must be a store key');
    try {
      validateKey(key);
    } catch (error) {
      throw new InvalidArgumentError(field, (error as Error).message);
    }
    const file = await readFile(key);
    if (!file) throw new InvalidArgumentError(field, `no evaluation at ${key}`);
    return file;
  };
  return {
    /**
     * The summary of `<outputPrefix>/output/evaluation.json` (numbers and segments) and its key;
     * null while the job's outputs are not recorded (`result.json`) or it wrote no evaluation.json.
     */
    async readEvaluation(input: ReadEvaluationInput): Promise<EvaluationRef | null> {
      return asActivity(async () => {
        const prefix = checkedPrefix(input?.outputPrefix);
        if (!(await store.head(`${prefix}/result.json`))) return null;
        const key = `${prefix}/output/evaluation.json`;
        const file = await readFile(key);
        return file ? { key, summary: file.summary } : null;
      });
    },
    /** Renders the candidate-vs-champion report to `reports/evaluations/<run key>.html`. */
    async writeEvaluationReport(input: WriteEvaluationReportInput): Promise<ReportRef> {
      return asActivity(async () => {
        checkReportInput(input);
        const [candidate, champion] = await Promise.all([
          requireFile('candidate.evaluationKey', input.candidate.evaluationKey),
          input.champion ? requireFile('champion.evaluationKey', input.champion.evaluationKey) : undefined,
        ]);
        const html = await renderEvaluationReport({
          title: `Evaluation ${input.model}`,
          pipeline: input.pipeline,
          run: input.run,
          model: input.model,
          primaryMetric: input.primaryMetric,
          direction: input.direction,
          candidate: modelOf(input.candidate.label, candidate),
          ...(input.champion && champion && { champion: modelOf(input.champion.label, champion) }),
          decision: input.decision,
          ...(input.metrics && { metrics: input.metrics }),
          generatedAt: new Date().toISOString(),
        });
        const key = reportKeys.evaluation(input.run);
        await store.put(key, html, HTML);
        return { key, uri: `${store.uri.replace(/\/+$/, '')}/${key}` };
      });
    },
    /** `sha256:<hex>` of the files under `dirs` (caches and hidden files left out), and how many there are. */
    async codeVersion(input: CodeVersionInput): Promise<{ version: string; files: number }> {
      return asActivity(() => codeVersionOf(input?.dirs));
    },
  };
}

export type EvaluationActivities = ReturnType<typeof createEvaluationActivities>;

function checkedPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('outputPrefix', 'must be a store key prefix');
  try {
    validateKey(prefix, { allowTrailingSlash: true });
  } catch (error) {
    throw new InvalidArgumentError('outputPrefix', (error as Error).message);
  }
  return prefix.replace(/\/+$/, '');
}

function modelOf(label: string, file: EvaluationFile): EvaluatedModel {
  return {
    label,
    task: file.task,
    metrics: file.summary.metrics,
    segments: file.summary.segments,
    ...(file.roc && { roc: file.roc }),
    ...(file.calibration && { calibration: file.calibration }),
    ...(file.residuals && { residuals: file.residuals }),
    ...(file.confusionMatrix && { confusionMatrix: file.confusionMatrix }),
  };
}

function checkReportInput(input: WriteEvaluationReportInput): void {
  for (const field of ['pipeline', 'run', 'model', 'primaryMetric'] as const) {
    if (typeof input?.[field] !== 'string' || input[field] === '')
      throw new InvalidArgumentError(field, 'must be a non-empty string');
  }
  if (input.direction !== 'maximize' && input.direction !== 'minimize')
    throw new InvalidArgumentError('direction', `must be maximize or minimize, got ${JSON.stringify(input.direction)}`);
  for (const side of ['candidate', 'champion'] as const) {
    const ref = input[side];
    if (ref === undefined && side === 'champion') continue;
    if (typeof ref?.label !== 'string' || ref.label === '')
      throw new InvalidArgumentError(`${side}.label`, 'must be a non-empty string');
  }
  const decision = input.decision as unknown;
  if (
    typeof decision !== 'object' ||
    decision === null ||
    typeof (decision as GateDecision).passed !== 'boolean' ||
    !Array.isArray((decision as GateDecision).reasons)
  )
    throw new InvalidArgumentError('decision', 'must be a gate decision { passed, reasons }');
  if (
    input.metrics !== undefined &&
    (!Array.isArray(input.metrics) || !input.metrics.every((m) => typeof m === 'string'))
  )
    throw new InvalidArgumentError('metrics', 'must be a list of metric names');
}
