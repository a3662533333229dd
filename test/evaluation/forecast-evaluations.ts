/**
 * Two real regression evaluation.json files for the evaluation suites: examples/forecast's extract,
 * features, train and evaluate steps run in the venv (`npm run setup`) as the training backends run
 * them. A "champion" (ridge) and a "candidate" (gradient boosting) are scored on the same holdout.
 * Made once per test run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { assertExit, runExampleScript } from '../support/example-scripts';

export const FORECAST_EXAMPLE = path.join(REPO_ROOT, 'examples', 'forecast');

export interface ForecastEvaluations {
  /** The folder everything was written to (removed after the run). */
  dir: string;
  /** The feature step's output: train.csv and holdout.csv. */
  features: string;
  candidate: { modelDir: string; evaluation: string };
  champion: { modelDir: string; evaluation: string };
}

let made: Promise<ForecastEvaluations> | undefined;

/** The two evaluations (made on first call). */
export function forecastEvaluations(): Promise<ForecastEvaluations> {
  made ??= make();
  return made;
}

after(function () {
  const pending = made;
  made = undefined;
  return pending?.then((e) => fs.rmSync(e.dir, { recursive: true, force: true })).catch(() => undefined);
});

async function make(): Promise<ForecastEvaluations> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-forecast-eval-'));
  const python = async (script: string, env: Record<string, string>) =>
    assertExit(await runExampleScript(FORECAST_EXAMPLE, script, [], env), 0);
  const raw = path.join(dir, 'raw');
  const features = path.join(dir, 'features');
  await python('extract.py', { MLOPS_OUTPUT_DIR: raw, MLOPS_PARAMS: JSON.stringify({ days: 200, seed: 3 }) });
  await python('features.py', { MLOPS_INPUT_RAW: raw, MLOPS_OUTPUT_DIR: features });
  const model = async (name: string, algorithm: string) => {
    const modelDir = path.join(dir, name, 'model');
    const evalDir = path.join(dir, name, 'eval');
    await python('train.py', {
      MLOPS_DATA_DIR: features,
      MLOPS_OUTPUT_DIR: modelDir,
      MLOPS_PARAMS: JSON.stringify({ algorithm }),
    });
    await python('evaluate.py', { MLOPS_MODEL_DIR: modelDir, MLOPS_DATA_DIR: features, MLOPS_OUTPUT_DIR: evalDir });
    return { modelDir, evaluation: path.join(evalDir, 'evaluation.json') };
  };
  const [candidate, champion] = await Promise.all([
    model('candidate', 'gradient_boosting'),
    model('champion', 'ridge'),
  ]);
  return { dir, features, candidate, champion };
}
