/** Registration inputs for the registry suites. */
import type { RegisterModelInput } from '../../activities/registry/types';

export const TRAINING_SNAPSHOT = 'a1'.repeat(32);
export const HOLDOUT_SNAPSHOT = 'b2'.repeat(32);

/** A registration of model `churn` (or `overrides.model`) from pipeline run `run`. */
export function registration(run: string, overrides: Partial<RegisterModelInput> = {}): RegisterModelInput {
  return {
    model: 'churn',
    artifactUri: `s3://models/${run}/model.joblib`,
    metrics: { auc: 0.84, f1: 0.71 },
    params: { max_depth: 6, learning_rate: 0.1 },
    trainingSnapshot: { dataset: 'churn', id: TRAINING_SNAPSHOT },
    evaluationSnapshot: { dataset: 'churn-holdout', id: HOLDOUT_SNAPSHOT },
    codeVersion: 'git:4f2c1e9',
    pipelineRun: run,
    trigger: 'schedule',
    ...overrides,
  };
}

/** `n` pipeline run ids in the form the retrain workflow uses. */
export function runIds(n: number, prefix = 'retrain/churn'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}/2026-11-27T05:42:${String(i).padStart(2, '0')}.000Z`);
}
