/**
 * Default task queue names; config may override them (MLOPS_TASK_QUEUE, MLOPS_TRAINING_TASK_QUEUE,
 * MLOPS_SERVING_TASK_QUEUE).
 */
export const DEFAULT_TASK_QUEUE = 'mlops';
/** Training and evaluation jobs run here, so training hosts poll only these. */
export const DEFAULT_TRAINING_TASK_QUEUE = 'mlops-training';
/** Activities bound to a serving host (deploy, readiness, stop of a model server) run here. */
export const DEFAULT_SERVING_TASK_QUEUE = 'mlops-serving';
