/**
 * What workflows learn of an evaluation (an `evaluation.json` written by an evaluation job such as
 * examples/churn/evaluate.py): its numbers only, never its curves, so workflow payloads stay small.
 * Types only: safe to import from workflow code and the gates.
 */

/** One segment's numbers (`count`, `positive_rate`, `auc`, `accuracy`…); metrics the job left null are absent. */
export interface SegmentSummary {
  count: number;
  [metric: string]: number;
}

export interface EvaluationSummary {
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
