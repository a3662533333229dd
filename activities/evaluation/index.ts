/**
 * Evaluation: what an evaluation job (e.g. examples/churn/evaluate.py run through `runTrainingJob`
 * with the model in `modelUri`) wrote, read back for the gates and rendered for people.
 *
 * - ./evaluation-file.ts  `parseEvaluation`: evaluation.json → summary, ROC points, calibration bins
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
export { parseEvaluation, type CalibrationBin, type EvaluationFile, type RocCurve } from './evaluation-file';
export type { EvaluationRef, EvaluationSummary, SegmentSummary } from '../../common/evaluation';
