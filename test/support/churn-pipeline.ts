/**
 * The churn example pipeline set up for end-to-end suites that run `mlops run churn` against a real
 * `mlops worker`: generated data, the example spec with its paths pointed at that data (plus a
 * suite's own edits), the real gateway with model-server variants under `<home>/serving`, a few holdout
 * rows to send as inference requests, and a `--json` CLI bound to this environment.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli, type CliResult } from './cli';
import { startTestServing, type TestServing } from './serving';
import { testStack } from './stack';
import { testS3Store } from './worker';

export const CHURN_EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export interface ChurnPipeline {
  store: BlobStore;
  serving: TestServing;
  /** The worker's and CLI's MLOPS_HOME (jobs under `jobs/`, variants under `serving/`). */
  home: string;
  /** The CLI environment: this run's servers, the store prefix, the gateway, `home`. */
  env: NodeJS.ProcessEnv;
  specFile: string;
  /** A JSON file of three holdout rows, for `mlops predict --data`. */
  rowsFile: string;
  /** An OIP v2 inference request body of those rows, for the gateway. */
  inferenceBody: string;
  /** `mlops --json <args>`: exit code, output, and the parsed JSON (undefined when stdout is empty). */
  json(...args: string[]): Promise<CliResult & { body: ReturnType<typeof JSON.parse> }>;
  /** The gateway's variants of `endpoint` as `[version, weight]` pairs (`mlops endpoints show`). */
  variantsOf(endpoint: string): Promise<[number, number][]>;
}

export interface ChurnPipelineOptions {
  /** Rows the generator writes. @default 3000 */
  rows?: number;
  /** Edits the spec after its paths are set (notifications and monitoring are already removed). */
  editSpec?: (spec: Document) => void;
  /** Added to the CLI (and so the worker) environment. */
  env?: NodeJS.ProcessEnv;
}

/** Generates the data, writes the spec, starts the gateway; stop with `pipeline.serving.stop()`. */
export async function setUpChurnPipeline(prefix: string, options: ChurnPipelineOptions = {}): Promise<ChurnPipeline> {
  const store = testS3Store(prefix);
  const { tmpDir } = testStack();
  const home = fs.mkdtempSync(path.join(tmpDir, `${prefix}-home-`));
  const serving = await startTestServing(store, home);
  // the gateway is up: a failure in the rest of the set-up stops it before reaching the suite
  return churnPipelineOn(prefix, options, { store, home, serving }).catch(async (err: unknown) => {
    await serving.stop().catch(() => undefined);
    throw err;
  });
}

/** The rest of `setUpChurnPipeline`, once the gateway is up. */
async function churnPipelineOn(
  prefix: string,
  options: ChurnPipelineOptions,
  { store, home, serving }: Pick<ChurnPipeline, 'store' | 'home' | 'serving'>,
): Promise<ChurnPipeline> {
  const { tmpDir } = testStack();
  const env = cliEnv(prefix, { ...serving.env, MLOPS_HOME: home, ...options.env });
  const data = path.join(tmpDir, `${prefix}-data`);
  execFileSync(
    VENV_PYTHON,
    ['examples/churn/generate_data.py', '--rows', String(options.rows ?? 3000), '--seed', '1', '--out', data],
    { cwd: REPO_ROOT },
  );
  // the example as it is, its relative paths made absolute for this run
  const spec = parseDocument(fs.readFileSync(path.join(CHURN_EXAMPLE, 'pipeline.yaml'), 'utf8'));
  spec.setIn(['dataset', 'source'], data);
  spec.setIn(['training', 'codeDir'], CHURN_EXAMPLE);
  spec.setIn(['evaluation', 'codeDir'], CHURN_EXAMPLE);
  spec.delete('notifications');
  // drift monitoring has its own tests (test/e2e/monitor.test.ts, the demo's)
  spec.delete('monitoring');
  options.editSpec?.(spec);
  const specFile = path.join(tmpDir, `${prefix}-pipeline.yaml`);
  fs.writeFileSync(specFile, spec.toString());
  const rows = holdoutRows(path.join(data, 'holdout.csv'), 3);
  const rowsFile = path.join(tmpDir, `${prefix}-rows.json`);
  fs.writeFileSync(rowsFile, JSON.stringify(rows));

  const json = async (...args: string[]) => {
    const r = await runCli(['--json', ...args], env, 300_000);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  return {
    store,
    serving,
    home,
    env,
    specFile,
    rowsFile,
    inferenceBody: JSON.stringify(toInferenceRequest(rows)),
    json,
    async variantsOf(endpoint) {
      const shown = await json('endpoints', 'show', endpoint);
      assert.equal(shown.code, 0, shown.stderr);
      return (shown.body.variants as { version: number; weight: number }[]).map((v) => [v.version, v.weight]);
    },
  };
}

/** The first `n` rows of a churn CSV, numbers as numbers. */
function holdoutRows(csv: string, n: number): Record<string, string | number>[] {
  const lines = fs.readFileSync(csv, 'utf8').split('\n');
  const names = lines[0]!.split(',');
  return lines
    .slice(1, n + 1)
    .map((line) =>
      Object.fromEntries(
        line.split(',').map((cell, i) => [names[i]!, /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell] as const),
      ),
    );
}
