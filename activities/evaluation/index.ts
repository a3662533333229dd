/**
 * Evaluation: what an evaluation job (e.g. examples/churn/evaluate.py run through `runTrainingJob`
 * with the model in `modelUri`) wrote, read back for the gates and rendered for people.
 *
 * - ./evaluation-file.ts  `parseEvaluation`: evaluation.json → task, summary, ROC points and calibration bins
 *                         (binary), residuals (regression), confusion matrix (multiclass)
 * - ./code-version.ts     `codeVersionOf`: a content hash of code folders (caches and hidden files left out)
 * - ./activities.ts       `createEvaluationActivities`: `readEvaluation`, `writeEvaluationReport`, `codeVersion`
 *
 * The summary types workflows use are in common/evaluation.ts.
 */
export {
  createEvaluationActivities,
  type CodeVersionInput,
  type EvaluatedModelRef,
  type EvaluationActivities,
  type ReadEvaluationInput,
  type WriteEvaluationReportInput,
} from './activities';
export { codeVersionOf } from './code-version';
export {
  MAX_CONFUSION_LABELS,
  MAX_RESIDUALS,
  parseEvaluation,
  type CalibrationBin,
  type ConfusionMatrix,
  type EvaluationFile,
  type ResidualPoint,
  type RocCurve,
} from './evaluation-file';
export type { EvaluationRef, EvaluationSummary, EvaluationTask, SegmentSummary } from '../../common/evaluation';
