/**
 * Reading an `evaluation.json` (the contract of examples/churn/evaluate.py): its numeric top-level
 * fields, per-segment numbers, ROC curve points and calibration bins. Anything not shaped so is
 * an `EvaluationInvalidError` naming the key; unknown extra fields are ignored.
 */
import type { EvaluationSummary, SegmentSummary } from '../../common/evaluation';
import { EvaluationInvalidError } from '../../common/failures';

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

/** A whole evaluation: the summary workflows see, plus the curves only reports need. */
export interface EvaluationFile {
  summary: EvaluationSummary;
  roc?: RocCurve;
  calibration?: CalibrationBin[];
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
  return {
    summary: { metrics, segments: readSegments(value.segments, invalid) },
    ...(value.roc !== undefined && { roc: readRoc(value.roc, invalid) }),
    ...(value.calibration !== undefined && { calibration: readCalibration(value.calibration, invalid) }),
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
