/**
 * What workflows learn of an evaluation (an `evaluation.json` written by an evaluation job such as
 * examples/churn/evaluate.py): its numbers only, never its curves, so workflow payloads stay small.
 * Types and constants only: safe to import from workflow code and the gates.
 */

/** What kind of model an evaluation scores; an evaluation.json without `task` is binary. */
export type EvaluationTask = 'binary' | 'multiclass' | 'regression';

/** The tasks, in the order docs list them. */
export const EVALUATION_TASKS: readonly EvaluationTask[] = ['binary', 'multiclass', 'regression'];

/** One segment's numbers (`count`, `positive_rate`, `auc`, `accuracy`…); metrics the job left null are absent. */
export interface SegmentSummary {
  count: number;
  [metric: string]: number;
}

export interface EvaluationSummary {
  /** The `task` the file names; absent when it names none (binary). */
  task?: EvaluationTask;
  /** Every numeric top-level field of evaluation.json: auc, accuracy, f1, log_loss, brier, n, positive_rate… */
  metrics: Record<string, number>;
  /** Column → value → that segment's numbers, as the job wrote them. */
  segments: Record<string, Record<string, SegmentSummary>>;
}

/** An evaluation as `readEvaluation` returns it: where the full file is, and its summary. */
export interface EvaluationRef {
  /** Store key of the evaluation.json. */
  key: string;
  summary: EvaluationSummary;
}
