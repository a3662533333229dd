/** Experiment tracking failures (common/failures/tracking.ts and input.ts), for this folder's modules. */
export {
  InvalidArgumentError,
  InvalidNameError,
  RunNotFoundError,
  TrackingError,
  TrialNotFoundError,
  type TrackingFailureType,
} from '../../common/failures';
