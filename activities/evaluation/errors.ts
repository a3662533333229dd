/** Evaluation failures (common/failures/evaluation.ts), for this folder's modules. */
export { EvaluationInvalidError } from '../../common/failures';
