/**
 * Evaluation gates, the pure part: given the spec's gates and the candidate's (and the champion's)
 * evaluation, a decision that lists every gate with its numbers, passed or not, so a rejection
 * explains itself. Pure and deterministic: the retrain workflow calls it directly.
 *
 * Thresholds, minImprovement and maxSegmentRegression work on any metric of any task (binary,
 * multiclass, regression), in the primary metric's direction; maxCalibrationError is a binary
 * classification gate and reports itself not applicable for the other tasks.
 */
import type { EvaluationTask } from './evaluation';
import type { GatesSpec } from './schemas/spec';

/** The part of an evaluation.json the gates read. Metrics may be null (e.g. AUC of a one-class set). */
export interface EvaluationSummary {
  /** The evaluation's task as its file names it; absent: binary. */
  task?: EvaluationTask;
  metrics: Record<string, number | null | undefined>;
  /** Column → value → metrics of the rows with that value (`count` rows). */
  segments?: Record<string, Record<string, SegmentMetrics>>;
}

export interface SegmentMetrics {
  count: number;
  [metric: string]: number | null | undefined;
}

export interface GateResult {
  /** e.g. `thresholds.auc.min`, `minImprovement`, `maxSegmentRegression.plan=premium`, `maxCalibrationError` */
  gate: string;
  passed: boolean;
  /** A sentence with the numbers, e.g. `auc 0.812 ≥ 0.75`. */
  message: string;
  actual?: number;
  limit?: number;
  /** Set when the gate does not apply to the evaluation's task (it then passes). */
  notApplicable?: true;
}

export interface GateDecision {
  passed: boolean;
  reasons: GateResult[];
}

export interface GateInput {
  gates: GatesSpec;
  primaryMetric: string;
  direction: 'maximize' | 'minimize';
  candidate: EvaluationSummary;
  /** The current champion scored on the same holdout; absent when there is none yet. */
  champion?: EvaluationSummary;
  /** The task evaluated (the spec's `evaluation.task`); by default the candidate's, else binary. */
  task?: EvaluationTask;
}

/** Segments with fewer rows than this (in either evaluation) are too noisy to judge. */
export const MIN_SEGMENT_COUNT = 30;

const CALIBRATION_METRIC = 'expected_calibration_error';
// differences like 0.8 - 0.75 carry floating-point noise; a gate never fails on that
const EPSILON = 1e-9;

/** Applies every configured gate; the decision passes when every result does. */
export function evaluateGates(input: GateInput): GateDecision {
  const { gates } = input;
  const reasons: GateResult[] = [];
  for (const [metric, bounds] of Object.entries(gates.thresholds)) {
    if (bounds.min !== undefined) reasons.push(threshold(input.candidate, metric, 'min', bounds.min));
    if (bounds.max !== undefined) reasons.push(threshold(input.candidate, metric, 'max', bounds.max));
  }
  if (gates.maxCalibrationError !== undefined) {
    const task = input.task ?? input.candidate.task ?? 'binary';
    if (task === 'binary') {
      const result = threshold(input.candidate, CALIBRATION_METRIC, 'max', gates.maxCalibrationError);
      reasons.push({ ...result, gate: 'maxCalibrationError' });
    } else {
      reasons.push({
        gate: 'maxCalibrationError',
        passed: true,
        notApplicable: true,
        message: `not applicable: the calibration error gate is for binary classification, this is a ${task} evaluation`,
        limit: gates.maxCalibrationError,
      });
    }
  }
  if (gates.minImprovement !== undefined) reasons.push(minImprovement(input, gates.minImprovement));
  if (gates.maxSegmentRegression !== undefined) reasons.push(...segmentRegression(input, gates.maxSegmentRegression));
  return { passed: reasons.every((r) => r.passed), reasons };
}

/** The ids of the gates a spec configures (one per threshold bound), in the order they are evaluated. */
export function configuredGates(gates: GatesSpec): string[] {
  const out: string[] = [];
  for (const [metric, bounds] of Object.entries(gates.thresholds)) {
    if (bounds.min !== undefined) out.push(`thresholds.${metric}.min`);
    if (bounds.max !== undefined) out.push(`thresholds.${metric}.max`);
  }
  if (gates.maxCalibrationError !== undefined) out.push('maxCalibrationError');
  if (gates.minImprovement !== undefined) out.push('minImprovement');
  if (gates.maxSegmentRegression !== undefined) out.push('maxSegmentRegression');
  return out;
}

function threshold(candidate: EvaluationSummary, metric: string, bound: 'min' | 'max', limit: number): GateResult {
  const gate = `thresholds.${metric}.${bound}`;
  const actual = metricValue(candidate.metrics[metric]);
  if (actual === undefined) {
    return { gate, passed: false, message: `${metric} is missing from the candidate's evaluation`, limit };
  }
  const passed = bound === 'min' ? actual >= limit - EPSILON : actual <= limit + EPSILON;
  const sign = bound === 'min' ? (passed ? '≥' : '<') : passed ? '≤' : '>';
  const message = `${metric} ${fmt(actual)} ${sign} ${fmt(limit)}${passed ? '' : ` (the ${bound === 'min' ? 'minimum' : 'maximum'})`}`;
  return { gate, passed, message, actual, limit };
}

function minImprovement(input: GateInput, limit: number): GateResult {
  const gate = 'minImprovement';
  const metric = input.primaryMetric;
  if (!input.champion) {
    return { gate, passed: true, message: `skipped: no champion to compare ${metric} with`, limit };
  }
  const candidate = metricValue(input.candidate.metrics[metric]);
  if (candidate === undefined) {
    return { gate, passed: false, message: `${metric} is missing from the candidate's evaluation`, limit };
  }
  const champion = metricValue(input.champion.metrics[metric]);
  if (champion === undefined) {
    return { gate, passed: true, message: `skipped: the champion's evaluation has no ${metric}`, limit };
  }
  const improvement = improvementOf(candidate, champion, input.direction);
  const passed = improvement >= limit - EPSILON;
  const base = `${metric} ${fmt(candidate)} improves on the champion's ${fmt(champion)} by ${fmt(improvement)}`;
  const message = passed
    ? `${base}, at least the required ${fmt(limit)}`
    : `${base}, less than the required ${fmt(limit)}`;
  return { gate, passed, message, actual: improvement, limit };
}

function segmentRegression(input: GateInput, limit: number): GateResult[] {
  const gate = 'maxSegmentRegression';
  const metric = input.primaryMetric;
  if (!input.champion) {
    return [{ gate, passed: true, message: `skipped: no champion to compare segments with`, limit }];
  }
  const results: GateResult[] = [];
  const skipped: string[] = [];
  const candidateSegments = input.candidate.segments ?? {};
  const championSegments = input.champion.segments ?? {};
  for (const column of Object.keys(candidateSegments).sort()) {
    const championValues = championSegments[column];
    if (!championValues) continue;
    const candidateValues = candidateSegments[column]!;
    for (const value of Object.keys(candidateValues).sort()) {
      const mine = candidateValues[value]!;
      const theirs = championValues[value];
      if (!theirs) continue;
      const segment = `${column}=${value}`;
      const count = Math.min(mine.count, theirs.count);
      const a = metricValue(mine[metric]);
      const b = metricValue(theirs[metric]);
      if (count < MIN_SEGMENT_COUNT || a === undefined || b === undefined) {
        skipped.push(segment);
        continue;
      }
      const regression = -improvementOf(a, b, input.direction);
      const passed = regression <= limit + EPSILON;
      const message =
        regression <= 0
          ? `${segment}: ${metric} ${fmt(a)}, no worse than the champion's ${fmt(b)}`
          : `${segment}: ${metric} ${fmt(a)} is ${fmt(regression)} worse than the champion's ${fmt(b)}, ${passed ? 'within' : 'more than'} the allowed ${fmt(limit)}`;
      results.push({ gate: `${gate}.${segment}`, passed, message, actual: regression, limit });
    }
  }
  if (skipped.length > 0) {
    const why = `fewer than ${MIN_SEGMENT_COUNT} rows or no ${metric}`;
    results.push({ gate, passed: true, message: `skipped (${why}): ${skipped.join(', ')}`, limit });
  }
  if (results.length === 0) {
    results.push({ gate, passed: true, message: 'skipped: no segment is in both evaluations', limit });
  }
  return results;
}

/** How much better `a` is than `b` in the metric's direction (negative: worse). */
function improvementOf(a: number, b: number, direction: 'maximize' | 'minimize'): number {
  return direction === 'maximize' ? a - b : b - a;
}

function metricValue(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Four significant digits, without trailing zeros: 0.8123, 0.75, -0.014. */
function fmt(value: number): string {
  return String(Number(value.toPrecision(4)));
}
