/**
 * What an evaluation report shows, and the pure reading of it: which metrics to list, which way
 * each one is better, the candidate's change against the champion. Values come from the
 * evaluation.json files of the candidate and the champion, scored on the same holdout.
 */
import type { EvaluationTask } from '../../common/evaluation';
import type { GateDecision } from '../../common/gates';

export type Direction = 'maximize' | 'minimize';

/** One model's evaluation as the report draws it. */
export interface EvaluatedModel {
  /** e.g. `candidate (trial 3)`, `champion v4` */
  label: string;
  metrics: Record<string, number>;
  /** Column → value → that segment's numbers (`count`, `auc`, `accuracy`…). */
  segments: Record<string, Record<string, Record<string, number>>>;
  /** What its evaluation.json says it scored; absent: binary. */
  task?: EvaluationTask;
  /** Binary: ROC points and calibration bins. */
  roc?: { fpr: number[]; tpr: number[] };
  calibration?: { meanPredicted: number; fractionPositive: number; count?: number }[];
  /** Regression: holdout rows sampled evenly, each its prediction and true value. */
  residuals?: { predicted: number; actual: number }[];
  /** Multiclass: rows are the true class, columns the predicted one, in the order of `labels`. */
  confusionMatrix?: { labels: string[]; counts: number[][] };
}

export interface EvaluationReportData {
  /** e.g. "Evaluation churn" */
  title: string;
  pipeline: string;
  /** The pipeline run (its workflow id). */
  run: string;
  model: string;
  primaryMetric: string;
  direction: Direction;
  candidate: EvaluatedModel;
  /** The current champion scored on the same holdout; absent for a model's first version. */
  champion?: EvaluatedModel;
  decision: GateDecision;
  /** Which charts to draw; by default the candidate's task, else binary. */
  task?: EvaluationTask;
  /** The metrics of the table, in order; by default the usual metrics present, then the rest. */
  metrics?: string[];
  generatedAt: string;
}

/** Metrics listed first when present, in this order (after the primary metric). */
const USUAL_ORDER = [
  'rmse',
  'mae',
  'r2',
  'mape',
  'auc',
  'accuracy',
  'macro_f1',
  'weighted_f1',
  'f1',
  'precision',
  'recall',
  'log_loss',
  'brier',
  'expected_calibration_error',
  'positive_rate',
  'n',
];
const HIGHER_IS_BETTER = /(^|_)(auc|accuracy|f1|precision|recall|r2|ap|average_precision)$/;
const LOWER_IS_BETTER = /(loss|error|brier|mse|mae|rmse|mape)$/;

/** The task whose charts the report draws: `data.task`, else the candidate's, else binary. */
export function reportTask(data: Pick<EvaluationReportData, 'task' | 'candidate'>): EvaluationTask {
  return data.task ?? data.candidate.task ?? 'binary';
}

/** Which way `metric` is better: the primary metric's direction, known names', or undefined (e.g. `n`). */
export function metricDirection(metric: string, data: Pick<EvaluationReportData, 'primaryMetric' | 'direction'>) {
  if (metric === data.primaryMetric) return data.direction;
  if (HIGHER_IS_BETTER.test(metric)) return 'maximize';
  if (LOWER_IS_BETTER.test(metric)) return 'minimize';
  return undefined;
}

/** The metrics of the table: `data.metrics`, else the primary one, the usual ones, then the rest by name. */
export function tableMetrics(data: EvaluationReportData): string[] {
  if (data.metrics && data.metrics.length > 0) return [...new Set(data.metrics)];
  const present = new Set([...Object.keys(data.candidate.metrics), ...Object.keys(data.champion?.metrics ?? {})]);
  present.delete('threshold');
  const ordered = [data.primaryMetric, ...USUAL_ORDER].filter((m) => present.has(m));
  const rest = [...present].filter((m) => !ordered.includes(m)).sort();
  return [...new Set([...ordered, ...rest])];
}

/** How the candidate's value compares: the delta (candidate − champion) and whether that is better. */
export function compareMetric(
  metric: string,
  data: EvaluationReportData,
): { candidate?: number; champion?: number; delta?: number; verdict?: 'better' | 'worse' | 'same' } {
  const candidate = data.candidate.metrics[metric];
  const champion = data.champion?.metrics[metric];
  if (candidate === undefined || champion === undefined) return { candidate, champion };
  const delta = candidate - champion;
  const direction = metricDirection(metric, data);
  if (direction === undefined) return { candidate, champion, delta };
  const gain = direction === 'maximize' ? delta : -delta;
  // differences in the noise of floating point read as no change
  const verdict = Math.abs(delta) <= 1e-12 ? 'same' : gain > 0 ? 'better' : 'worse';
  return { candidate, champion, delta, verdict };
}

/** The segment metric to chart: the primary metric when segments carry it, else accuracy or rmse, else none. */
export function segmentMetricOf(data: EvaluationReportData): string | undefined {
  const models = [data.candidate, ...(data.champion ? [data.champion] : [])];
  const has = (metric: string) =>
    models.some((m) => Object.values(m.segments).some((values) => Object.values(values).some((s) => metric in s)));
  return [data.primaryMetric, 'accuracy', 'rmse', 'mae'].find(has);
}

/** Columns with segments in either model, sorted. */
export function segmentColumns(data: EvaluationReportData): string[] {
  const columns = new Set([...Object.keys(data.candidate.segments), ...Object.keys(data.champion?.segments ?? {})]);
  return [...columns].sort();
}
