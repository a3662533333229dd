/** Training failures (common/failures/training.ts), for this folder's modules. */
export {
  InvalidTrainingJobError,
  RayHeadError,
  TrainingBackendUnavailableError,
  TrainingError,
  TrainingJobCancelledError,
  TrainingJobFailedError,
  TrainingJobLostError,
  TrainingJobNotFoundError,
  TrainingJobNotSucceededError,
  type TrainingFailureType,
} from '../../common/failures';
