/**
 * Two real evaluation.json files for the evaluation suites: examples/churn's generator, train.py
 * and evaluate.py run in the venv (`npm run setup`) on a small generated data set. A "champion"
 * (few boosting iterations) and a "candidate" (the defaults) are scored on the same holdout.
 * Made once per test run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { assertExit, runExampleScript } from '../support/example-scripts';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');

export interface ChurnEvaluations {
  /** The folder everything was written to (removed after the run). */
  dir: string;
  candidate: { modelDir: string; evaluation: string };
  champion: { modelDir: string; evaluation: string };
}

let made: Promise<ChurnEvaluations> | undefined;

/** The two evaluations (made on first call). */
export function churnEvaluations(): Promise<ChurnEvaluations> {
  made ??= make();
  return made;
}

after(function () {
  const pending = made;
  made = undefined;
  return pending?.then((e) => fs.rmSync(e.dir, { recursive: true, force: true })).catch(() => undefined);
});

async function make(): Promise<ChurnEvaluations> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-churn-eval-'));
  const python = async (script: string, args: string[], env: Record<string, string> = {}) =>
    assertExit(await runExampleScript(EXAMPLE, script, args, env), 0);
  const data = path.join(dir, 'data');
  await python('generate_data.py', ['--rows', '1500', '--seed', '7', '--out', data]);
  const model = async (name: string, params: Record<string, unknown>) => {
    const modelDir = path.join(dir, name, 'model');
    const evalDir = path.join(dir, name, 'eval');
    await python('train.py', [], {
      MLOPS_DATA_DIR: data,
      MLOPS_OUTPUT_DIR: modelDir,
      MLOPS_PARAMS: JSON.stringify(params),
    });
    await python('evaluate.py', [], { MLOPS_MODEL_DIR: modelDir, MLOPS_DATA_DIR: data, MLOPS_OUTPUT_DIR: evalDir });
    return { modelDir, evaluation: path.join(evalDir, 'evaluation.json') };
  };
  const [candidate, champion] = await Promise.all([
    model('candidate', {}),
    model('champion', { max_iter: 3, learning_rate: 0.05, max_depth: 2 }),
  ]);
  return { dir, candidate, champion };
}
