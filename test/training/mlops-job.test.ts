/**
 * The Python helper of job code (python/mlops_job): small job scripts run as the backends run them,
 * with the contract's variables, against the package's source in this repository.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkModelDescriptor } from '../../common/schemas/model-descriptor';
import { REPO_ROOT } from '../../lib/tools';
import { runExampleScript, type ScriptRun } from '../support/example-scripts';

const PACKAGE_DIR = path.join(REPO_ROOT, 'python');

describe('mlops_job (the Python helper of job code)', function () {
  this.timeout(60_000);
  let work: string;

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-job-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  /** Runs `source` as job.py with the package's source first on the path and the given contract variables. */
  function job(source: string, env: Record<string, string>): Promise<ScriptRun> {
    fs.writeFileSync(path.join(work, 'job.py'), source);
    return runExampleScript(work, 'job.py', [], { PYTHONPATH: PACKAGE_DIR, ...env });
  }
  const out = (...parts: string[]) => path.join(work, 'out', ...parts);
  const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

  const TYPED = [
    'import json, mlops_job',
    'from mlops_job import one_of, optional, param',
    'p = mlops_job.params(lr=float, depth=(int, 6), leaves=(optional(int), None), early=(bool, False),',
    '    weight=(one_of(None, "balanced"), None), seed=param(int, 0, min=0))',
    'print(json.dumps({"params": p, "depth": p.depth, "lr_type": type(p.lr).__name__}))',
  ].join('\n');

  it('gives the declared params typed, with their defaults (6.0 from a sweep is the int 6)', async function () {
    const run = await job(TYPED, { MLOPS_PARAMS: '{"lr": 1, "depth": 4.0, "weight": "balanced"}' });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      params: { lr: 1, depth: 4, leaves: null, early: false, weight: 'balanced', seed: 0 },
      depth: 4,
      lr_type: 'float',
    });
  });

  it('exits 2 naming every unknown, mistyped, out-of-range or missing param', async function () {
    const run = await job(TYPED, {
      MLOPS_PARAMS: '{"lrr": 0.1, "depth": "deep", "early": 1, "seed": -1, "weight": "even"}',
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '', 'the job did no work');
    assert.match(run.stderr, /unknown param 'lrr' \(known: depth, early, leaves, lr, seed, weight\)/);
    assert.match(run.stderr, /param 'depth' must be an integer, got "deep"/);
    assert.match(run.stderr, /param 'early' must be true or false, got 1/);
    assert.match(run.stderr, /param 'seed' must be an integer >= 0, got -1/);
    assert.match(run.stderr, /param 'weight' must be null or "balanced", got "even"/);
    assert.match(run.stderr, /param 'lr' is required: a number/);
    const notJson = await job(TYPED, { MLOPS_PARAMS: '{lr: 1' });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /MLOPS_PARAMS is not valid JSON/);
  });

  it('streams step metrics to MLOPS_METRICS_FILE and keeps final ones in metrics.json', async function () {
    const stream = path.join(work, 'metrics.ndjson');
    const run = await job(
      [
        'import mlops_job',
        'for step in (1, 2):',
        '    mlops_job.log_metrics({"loss": 1 / step, "auc": 0.5 + step / 10}, step=step)',
        'mlops_job.log_metric("auc", 0.7)',
        'mlops_job.log_metrics({"n": 10, "bad": float("nan")})',
        'mlops_job.log_params({"lr": 0.1})',
      ].join('\n'),
      { MLOPS_OUTPUT_DIR: out(), MLOPS_METRICS_FILE: stream },
    );
    assert.equal(run.code, 0, run.stderr);
    const points = fs
      .readFileSync(stream, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(points, [
      { step: 1, name: 'loss', value: 1 },
      { step: 1, name: 'auc', value: 0.6 },
      { step: 2, name: 'loss', value: 0.5 },
      { step: 2, name: 'auc', value: 0.7 },
    ]);
    assert.deepEqual(readJson(out('metrics.json')), { auc: 0.7, n: 10 });
    assert.match(run.stderr, /warning: metric 'bad' is nan: not recorded/);
    assert.deepEqual(readJson(out('params.json')), { lr: 0.1 });
  });

  it('saves a scikit-learn model as the serving runtime reads it, and loads it back', async function () {
    const run = await job(
      [
        'import mlops_job, pandas as pd',
        'from sklearn.linear_model import LogisticRegression',
        'frame = pd.DataFrame({"plan": ["a", "b"] * 10, "age": list(range(20)), "score": [i / 3 for i in range(20)]})',
        'model = LogisticRegression().fit(frame[["score", "age"]], [0, 1] * 10)',
        'mlops_job.save_model(model, flavor="sklearn", inputs=frame, name="demo")',
        'import os; os.environ["MLOPS_MODEL_DIR"] = mlops_job.output_dir()',
        'print(mlops_job.load_model().predict(frame[["score", "age"]]).tolist()[:2])',
      ].join('\n'),
      { MLOPS_OUTPUT_DIR: out(), MLOPS_MODEL_VERSION: '7' },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\[[01], [01]\]/);
    const descriptor = readJson(out('model.json'));
    assert.deepEqual(descriptor, {
      format: 'sklearn',
      file: 'model.joblib',
      // the model's columns in its order, not the frame's; the frame's other columns left out
      inputs: [
        { name: 'score', datatype: 'FP64' },
        { name: 'age', datatype: 'INT64' },
      ],
      name: 'demo',
      version: '7',
    });
    assert.ok(checkModelDescriptor(descriptor).ok);
    assert.ok(fs.statSync(out('model.joblib')).size > 0);
  });

  it('exits 2 naming a contract variable that is not set, or a model folder without a model', async function () {
    const data = await job('import mlops_job\nmlops_job.data_dir()', {});
    assert.equal(data.code, 2);
    assert.match(data.stderr, /MLOPS_DATA_DIR is not set/);
    const model = await job('import mlops_job\nmlops_job.load_model()', { MLOPS_MODEL_DIR: work });
    assert.equal(model.code, 2);
    assert.match(model.stderr, /model file not found: .*model\.joblib/);
  });
});
