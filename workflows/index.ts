/** Every workflow the worker registers. Workflow code runs in Temporal's sandbox: see eslint.config.mjs. */
export { healthCheck } from './health-check';
export { datasetSnapshot } from './dataset-snapshot';
export { trainModel } from './train-model';
export { hyperparameterSweep, sweepTrial } from './hyperparameter-sweep';
export { retrainPipeline } from './retrain-pipeline';
export { progressiveRollout } from './progressive-rollout';
export { abTest } from './ab-test';
export { modelMonitor } from './model-monitor';
