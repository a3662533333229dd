/**
 * Reading an `evaluation.json` (the contract of examples/churn/evaluate.py and
 * examples/forecast/evaluate.py): its `task` (binary when absent), numeric top-level fields,
 * per-segment numbers, and what the task's charts draw: ROC points and calibration bins (binary),
 * residuals (regression), a confusion matrix (multiclass). Anything not shaped so, or larger than
 * a report can draw, is an `EvaluationInvalidError` naming the key and the field; unknown extra
 * fields are ignored.
 */
import {
  EVALUATION_TASKS,
  type EvaluationSummary,
  type EvaluationTask,
  type SegmentSummary,
} from '../../common/evaluation';
import { EvaluationInvalidError } from '../../common/failures';

/** At most this many residual points (the job samples them evenly from the holdout). */
export const MAX_RESIDUALS = 500;
/** At most this many classes in a confusion matrix. */
export const MAX_CONFUSION_LABELS = 100;

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

export interface CalibrationBin {
  binLower?: number;
  binUpper?: number;
  meanPredicted: number;
  fractionPositive: number;
  count?: number;
}

/** One holdout row of a regression: the model's prediction and the true value. */
export interface ResidualPoint {
  predicted: number;
  actual: number;
}

/** Rows are the true class, columns the predicted one, both in the order of `labels`. */
export interface ConfusionMatrix {
  labels: string[];
  counts: number[][];
}

/** A whole evaluation: the summary workflows see, plus the curves only reports need. */
export interface EvaluationFile {
  /** The file's `task`, binary when it names none. */
  task: EvaluationTask;
  summary: EvaluationSummary;
  roc?: RocCurve;
  calibration?: CalibrationBin[];
  residuals?: ResidualPoint[];
  confusionMatrix?: ConfusionMatrix;
}

/** Parses the text of the evaluation.json at `key`; throws `EvaluationInvalidError`. */
export function parseEvaluation(text: string, key: string): EvaluationFile {
  const invalid = (problem: string) => new EvaluationInvalidError(key, problem);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw invalid('must be a JSON object');
  const metrics: Record<string, number> = {};
  for (const [name, v] of Object.entries(value)) if (isNumber(v)) metrics[name] = v;
  if (Object.keys(metrics).length === 0) throw invalid('has no numeric metrics');
  const task = readTask(value.task, invalid);
  return {
    task,
    summary: {
      ...(value.task !== undefined && { task }),
      metrics,
      segments: readSegments(value.segments, invalid),
    },
    ...(value.roc !== undefined && { roc: readRoc(value.roc, invalid) }),
    ...(value.calibration !== undefined && { calibration: readCalibration(value.calibration, invalid) }),
    ...(value.residuals !== undefined && { residuals: readResiduals(value.residuals, invalid) }),
    ...(value.confusion_matrix !== undefined && {
      confusionMatrix: readConfusionMatrix(value.confusion_matrix, invalid),
    }),
  };
}

type Invalid = (problem: string) => Error;

function readSegments(value: unknown, invalid: Invalid): EvaluationSummary['segments'] {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalid('segments must be an object of column → value → metrics');
  const segments: EvaluationSummary['segments'] = {};
  for (const [column, values] of Object.entries(value)) {
    if (!isObject(values)) throw invalid(`segments.${column} must be an object of value → metrics`);
    const out: Record<string, SegmentSummary> = {};
    for (const [name, numbers] of Object.entries(values)) {
      if (!isObject(numbers)) throw invalid(`segments.${column}.${name} must be an object of metrics`);
      if (!isNumber(numbers.count)) throw invalid(`segments.${column}.${name}.count must be a number`);
      const segment: SegmentSummary = { count: numbers.count };
      for (const [metric, v] of Object.entries(numbers)) {
        if (isNumber(v)) segment[metric] = v;
        else if (v !== null) throw invalid(`segments.${column}.${name}.${metric} must be a number or null`);
      }
      out[name] = segment;
    }
    segments[column] = out;
  }
  return segments;
}

function readTask(value: unknown, invalid: Invalid): EvaluationTask {
  if (value === undefined) return 'binary';
  if (typeof value === 'string' && (EVALUATION_TASKS as readonly string[]).includes(value))
    return value as EvaluationTask;
  throw invalid(`task must be one of ${EVALUATION_TASKS.join(', ')}, got ${JSON.stringify(value)}`);
}

function readResiduals(value: unknown, invalid: Invalid): ResidualPoint[] {
  if (!Array.isArray(value)) throw invalid('residuals must be an array of { predicted, actual } points');
  if (value.length > MAX_RESIDUALS)
    throw invalid(`residuals has ${value.length} points, at most ${MAX_RESIDUALS} (sample them evenly)`);
  return value.map((point: unknown, i) => {
    if (!isObject(point) || !isNumber(point.predicted) || !isNumber(point.actual))
      throw invalid(`residuals[${i}] must have numeric predicted and actual`);
    return { predicted: point.predicted, actual: point.actual };
  });
}

function readConfusionMatrix(value: unknown, invalid: Invalid): ConfusionMatrix {
  if (!isObject(value)) throw invalid('confusion_matrix must be an object { labels, counts }');
  const { labels, counts } = value;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string' && l !== ''))
    throw invalid('confusion_matrix.labels must be a non-empty array of class names');
  if (labels.length > MAX_CONFUSION_LABELS)
    throw invalid(`confusion_matrix.labels has ${labels.length} classes, at most ${MAX_CONFUSION_LABELS}`);
  if (new Set(labels).size !== labels.length) throw invalid('confusion_matrix.labels names a class twice');
  const n = labels.length;
  if (!Array.isArray(counts) || counts.length !== n)
    throw invalid(`confusion_matrix.counts must have one row per label (${n})`);
  counts.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== n)
      throw invalid(`confusion_matrix.counts[${i}] must have one count per label (${n})`);
    row.forEach((count: unknown, j) => {
      if (!Number.isSafeInteger(count) || (count as number) < 0)
        throw invalid(`confusion_matrix.counts[${i}][${j}] must be a count (an integer >= 0)`);
    });
  });
  return { labels: labels as string[], counts: counts as number[][] };
}

function readRoc(value: unknown, invalid: Invalid): RocCurve {
  if (!isObject(value)) throw invalid('roc must be an object with fpr and tpr arrays');
  const { fpr, tpr } = value;
  const thresholds = value.thresholds ?? [];
  if (!isNumberArray(fpr) || !isNumberArray(tpr) || fpr.length !== tpr.length)
    throw invalid('roc.fpr and roc.tpr must be arrays of numbers of the same length');
  if (!isNumberArray(thresholds)) throw invalid('roc.thresholds must be an array of numbers');
  return { fpr, tpr, thresholds };
}

function readCalibration(value: unknown, invalid: Invalid): CalibrationBin[] {
  if (!Array.isArray(value)) throw invalid('calibration must be an array of bins');
  return value.map((bin, i) => {
    if (!isObject(bin) || !isNumber(bin.mean_predicted) || !isNumber(bin.fraction_positive))
      throw invalid(`calibration[${i}] must have numeric mean_predicted and fraction_positive`);
    return {
      meanPredicted: bin.mean_predicted,
      fractionPositive: bin.fraction_positive,
      ...(isNumber(bin.bin_lower) && { binLower: bin.bin_lower }),
      ...(isNumber(bin.bin_upper) && { binUpper: bin.bin_upper }),
      ...(isNumber(bin.count) && { count: bin.count }),
    };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isNumber);
}
