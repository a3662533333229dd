/**
 * A real, small churn model for serving tests: examples/churn/generate_data.py and train.py run
 * in the project's venv (a few hundred rows, ten boosting iterations: about two seconds), the output
 * folder (model.joblib, model.json…) uploaded under a store prefix like a registered version.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ModelRegistry } from '../../activities/registry';
import type { BlobStore } from '../../activities/storage/types';
import { REPO_ROOT } from '../../lib/tools';

const run = promisify(execFile);
const CHURN_DIR = path.join(REPO_ROOT, 'examples', 'churn');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export interface TrainedChurnModel {
  /** Store URI of the uploaded model folder (what the registry records as `artifactUri`). */
  artifactUri: string;
  /** A few holdout rows (the churn columns as in the CSV: id, features, label). */
  rows: Record<string, string | number>[];
}

/** Trains a small churn model in `workDir` and uploads its folder to `<store>/<prefix>`. */
export async function trainChurnModel(store: BlobStore, prefix: string, workDir: string): Promise<TrainedChurnModel> {
  const data = path.join(workDir, 'data');
  const output = path.join(workDir, 'model');
  await run(PYTHON, ['generate_data.py', '--rows', '400', '--seed', '3', '--out', data], { cwd: CHURN_DIR });
  await run(PYTHON, ['train.py'], {
    cwd: CHURN_DIR,
    env: { ...process.env, MLOPS_DATA_DIR: data, MLOPS_OUTPUT_DIR: output, MLOPS_PARAMS: '{"max_iter": 10}' },
  });
  for (const name of await fs.readdir(output)) {
    await store.put(`${prefix}/${name}`, await fs.readFile(path.join(output, name)));
  }
  return {
    artifactUri: `${store.uri}/${prefix}`,
    rows: parseCsv(await fs.readFile(path.join(data, 'holdout.csv'), 'utf8')).slice(0, 5),
  };
}

function parseCsv(text: string): Record<string, string | number>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(
      names.map((n, i) => {
        const cell = cells[i] ?? '';
        return [n, /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell];
      }),
    );
  });
}

/**
 * Registers `count` approved versions of `model` (1, 2, …) with the trained artifact, as retrains
 * would have, so serving tests can deploy them; `reason` goes in each approval's audit entry.
 */
export async function registerApprovedVersions(
  store: BlobStore,
  model: string,
  trained: TrainedChurnModel,
  count: number,
  reason: string,
): Promise<void> {
  const registry = new ModelRegistry(store);
  for (let k = 1; k <= count; k++) {
    const { version } = await registry.registerModel({
      model,
      artifactUri: trained.artifactUri,
      metrics: { auc: 0.8 },
      params: { k },
      trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
      codeVersion: 'sha256:test',
      pipelineRun: `retrain/${model}/${k}`,
      trigger: 'manual',
    });
    await registry.setStatus(model, version, 'approved', { actor: 'alice', reason });
  }
}
