/**
 * examples/forecast's steps run as the training backends run them (`.venv/bin/python <script>`
 * with the MLOPS_* environment, named inputs as MLOPS_INPUT_<NAME> folders): the seeded extract,
 * the time-ordered feature split, both candidate algorithms, the regression evaluation the
 * platform reads, and batch scoring. Needs `npm run setup`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEvaluation } from '../../activities/evaluation';
import { checkModelDescriptor } from '../../common/schemas/model-descriptor';
import { assertExit, PYTHON, readCsv, runExampleScript } from '../support/example-scripts';
import { FORECAST_EXAMPLE, forecastEvaluations, type ForecastEvaluations } from '../evaluation/forecast-evaluations';

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

describe('examples/forecast scripts', function () {
  this.timeout(60_000);
  let work: string;
  let made: ForecastEvaluations;

  before(async function () {
    assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: run \`npm run setup\``);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-forecast-'));
    made = await forecastEvaluations();
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('extracts the same bytes for the same params, and other data for another seed', async function () {
    const extract = async (name: string, params: object) => {
      const out = path.join(work, name);
      assertExit(
        await runExampleScript(FORECAST_EXAMPLE, 'extract.py', [], {
          MLOPS_OUTPUT_DIR: out,
          MLOPS_PARAMS: JSON.stringify(params),
        }),
        0,
      );
      return fs.readFileSync(path.join(out, 'demand.csv'));
    };
    const [first, again, other] = await Promise.all([
      extract('a', { seed: 11, days: 90 }),
      extract('b', { seed: 11, days: 90 }),
      extract('c', { seed: 12, days: 90 }),
    ]);
    assert.ok(first.equals(again), 'one seed, one demand.csv');
    assert.ok(!first.equals(other), 'another seed, other data');
    const rows = readCsv(path.join(work, 'a', 'demand.csv'));
    assert.equal(rows.length, 90 * 3 * 2, 'a row per day, store and item (3 stores, 2 items by default)');
    assert.deepEqual(Object.keys(rows[0]!), ['date', 'store', 'item', 'price', 'promo', 'units']);
    assert.deepEqual(readJson(path.join(work, 'a', 'metrics.json')), { days: 90, rows: 540, series: 6 });
  });

  it('refuses a bad param with exit 2, naming it', async function () {
    const run = await runExampleScript(FORECAST_EXAMPLE, 'extract.py', [], {
      MLOPS_OUTPUT_DIR: path.join(work, 'bad'),
      MLOPS_PARAMS: '{"days": 3}',
    });
    assertExit(run, 2);
    assert.match(run.stderr, /param 'days' must be an integer in \[60, 3660\]/);
    assert.ok(!fs.existsSync(path.join(work, 'bad', 'demand.csv')), 'nothing written');
    const train = await runExampleScript(FORECAST_EXAMPLE, 'train.py', [], {
      MLOPS_DATA_DIR: made.features,
      MLOPS_OUTPUT_DIR: path.join(work, 'bad-model'),
      MLOPS_PARAMS: '{"algorithm": "xgboost"}',
    });
    assertExit(train, 2);
    assert.match(train.stderr, /param 'algorithm' must be ridge or gradient_boosting/);
  });

  it('holds out the last days, and builds lags from the past only', function () {
    const train = readCsv(path.join(made.features, 'train.csv'));
    const holdout = readCsv(path.join(made.features, 'holdout.csv'));
    const holdoutDates = [...new Set(holdout.map((r) => r.date!))].sort();
    assert.equal(holdoutDates.length, 28, 'holdout_days defaults to 28');
    const lastTrain = train
      .map((r) => r.date!)
      .sort()
      .at(-1)!;
    assert.ok(lastTrain < holdoutDates[0]!, `training ends (${lastTrain}) before the holdout starts`);
    // lag_1 of a holdout row is the same series' units of the day before
    const all = [...train, ...holdout];
    const units = new Map(all.map((r) => [`${r.store}/${r.item}/${r.date}`, r.units]));
    const row = holdout.find((r) => r.store === 's2' && r.item === 'i1')!;
    const before = new Date(Date.parse(`${row.date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    assert.equal(row.lag_1, units.get(`s2/i1/${before}`));
  });

  it('trains both algorithms into a servable model folder with validation metrics', function () {
    const features = Object.keys(readCsv(path.join(made.features, 'train.csv'))[0]!).filter(
      (c) => !['date', 'store', 'item', 'units'].includes(c),
    );
    for (const side of [made.candidate, made.champion]) {
      assert.ok(fs.existsSync(path.join(side.modelDir, 'model.joblib')));
      const descriptor = readJson<{ format: string; file: string; inputs: { name: string }[] }>(
        path.join(side.modelDir, 'model.json'),
      );
      assert.ok(checkModelDescriptor(descriptor).ok, JSON.stringify(descriptor));
      assert.deepEqual([descriptor.format, descriptor.file], ['sklearn', 'model.joblib']);
      assert.deepEqual(
        descriptor.inputs.map((i) => i.name),
        features,
        'the model takes the feature columns in order',
      );
      const metrics = readJson<Record<string, number>>(path.join(side.modelDir, 'metrics.json'));
      for (const name of ['val_rmse', 'val_mae', 'val_r2', 'train_rmse'])
        assert.ok(Number.isFinite(metrics[name]), `${name} in metrics.json`);
    }
    const params = (dir: string) => readJson<{ algorithm: string }>(path.join(dir, 'params.json')).algorithm;
    assert.equal(params(made.candidate.modelDir), 'gradient_boosting');
    assert.equal(params(made.champion.modelDir), 'ridge');
  });

  it('writes a regression evaluation.json the platform reads: metrics, residuals, segments per store', function () {
    const holdout = readCsv(path.join(made.features, 'holdout.csv'));
    for (const side of [made.candidate, made.champion]) {
      const file = parseEvaluation(fs.readFileSync(side.evaluation, 'utf8'), side.evaluation);
      assert.equal(file.task, 'regression');
      assert.equal(file.summary.task, 'regression');
      const { rmse, mae, r2, n } = file.summary.metrics;
      assert.equal(n, holdout.length);
      assert.ok(rmse! > 0 && mae! > 0 && mae! <= rmse!, `rmse ${rmse} ≥ mae ${mae} > 0`);
      assert.ok(r2! > 0.5 && r2! < 1, `r2 ${r2}: the model explains most of the demand`);
      assert.equal(file.residuals?.length, Math.min(holdout.length, 500));
      assert.deepEqual(Object.keys(file.summary.segments.store!), ['s1', 's2', 's3']);
      assert.equal(file.summary.segments.store!.s1!.count, holdout.filter((r) => r.store === 's1').length);
      assert.ok(Number.isFinite(file.summary.segments.store!.s1!.rmse));
    }
  });

  it('scores one prediction per row with the model and the named input', async function () {
    const out = path.join(work, 'score');
    const run = await runExampleScript(FORECAST_EXAMPLE, 'score.py', [], {
      MLOPS_INPUT_MODEL: made.candidate.modelDir,
      MLOPS_INPUT_FEATURES: made.features,
      MLOPS_OUTPUT_DIR: out,
    });
    assertExit(run, 0);
    const holdout = readCsv(path.join(made.features, 'holdout.csv'));
    const predictions = readCsv(path.join(out, 'predictions.csv'));
    assert.equal(predictions.length, holdout.length);
    assert.deepEqual(
      predictions.map((p) => `${p.date}/${p.store}/${p.item}`),
      holdout.map((h) => `${h.date}/${h.store}/${h.item}`),
    );
    assert.ok(predictions.every((p) => Number.isFinite(Number(p.predicted_units))));
    assert.equal(readJson<{ rows_scored: number }>(path.join(out, 'metrics.json')).rows_scored, holdout.length);

    const missing = await runExampleScript(FORECAST_EXAMPLE, 'score.py', [], {
      MLOPS_MODEL_DIR: made.candidate.modelDir,
      MLOPS_OUTPUT_DIR: path.join(work, 'score-missing'),
      MLOPS_PARAMS: '{"input": "batch"}',
    });
    assertExit(missing, 2);
    assert.match(missing.stderr, /MLOPS_INPUT_BATCH is not a folder/);
  });
});
