/**
 * examples/churn: the data generator, train.py and evaluate.py, run as the training backends run
 * them (`.venv/bin/python <script>` with the MLOPS_* environment). Needs `npm run setup`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { checkModelDescriptor } from '../../common/schemas/model-descriptor';
import { assertExit, PYTHON, readCsv, runExampleScript, type ScriptRun } from '../support/example-scripts';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

describe('examples/churn', function () {
  this.timeout(60_000);
  let work: string;
  let data: string;
  let model: string;
  let metricsFile: string;
  let trained: ScriptRun;

  before(async function () {
    this.timeout(120_000);
    assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: run \`npm run setup\``);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-churn-'));
    data = path.join(work, 'data');
    model = path.join(work, 'model');
    metricsFile = path.join(work, 'metrics.jsonl');
    assertExit(
      await runExampleScript(EXAMPLE, 'generate_data.py', ['--rows', '5000', '--seed', '7', '--out', data]),
      0,
    );
    trained = await runExampleScript(EXAMPLE, 'train.py', [], {
      MLOPS_DATA_DIR: data,
      MLOPS_OUTPUT_DIR: model,
      MLOPS_METRICS_FILE: metricsFile,
    });
  });

  after(function () {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe('generate_data.py', function () {
    it('writes train.csv and holdout.csv with the documented columns and split', function () {
      const train = readCsv(path.join(data, 'train.csv'));
      const holdout = readCsv(path.join(data, 'holdout.csv'));
      assert.equal(train.length, 4000);
      assert.equal(holdout.length, 1000);
      assert.deepEqual(Object.keys(train[0] ?? {}), [
        'customer_id',
        'tenure_months',
        'monthly_charges',
        'total_charges',
        'support_calls',
        'plan',
        'region',
        'contract',
        'churned',
      ]);
      const ids = new Set([...train, ...holdout].map((row) => row.customer_id));
      assert.equal(ids.size, 5000, 'train and holdout do not overlap');
      assert.deepEqual(new Set(train.map((row) => row.churned)), new Set(['0', '1']));
      assert.deepEqual(new Set(train.map((row) => row.plan)), new Set(['basic', 'standard', 'premium']));
      assert.deepEqual(new Set(train.map((row) => row.contract)), new Set(['monthly', 'annual']));
    });

    it('is byte-for-byte deterministic for the same arguments, and the seed matters', async function () {
      const again = path.join(work, 'again');
      const other = path.join(work, 'other-seed');
      const [a, b] = await Promise.all([
        runExampleScript(EXAMPLE, 'generate_data.py', ['--rows', '5000', '--seed', '7', '--out', again]),
        runExampleScript(EXAMPLE, 'generate_data.py', ['--rows', '5000', '--seed', '8', '--out', other]),
      ]);
      assertExit(a, 0);
      assertExit(b, 0);
      for (const name of ['train.csv', 'holdout.csv']) {
        assert.ok(fs.readFileSync(path.join(data, name)).equals(fs.readFileSync(path.join(again, name))), name);
        assert.ok(!fs.readFileSync(path.join(data, name)).equals(fs.readFileSync(path.join(other, name))), name);
      }
    });

    it('--drift 0.8 shifts the feature distributions', async function () {
      const drifted = path.join(work, 'drifted');
      assertExit(
        await runExampleScript(EXAMPLE, 'generate_data.py', [
          '--rows',
          '5000',
          '--seed',
          '7',
          '--drift',
          '0.8',
          '--out',
          drifted,
        ]),
        0,
      );
      const base = readCsv(path.join(data, 'train.csv'));
      const shifted = readCsv(path.join(drifted, 'train.csv'));
      const calls = (rows: Record<string, string>[]) => mean(rows.map((row) => Number(row.support_calls)));
      const charges = (rows: Record<string, string>[]) => mean(rows.map((row) => Number(row.monthly_charges)));
      const premium = (rows: Record<string, string>[]) =>
        rows.filter((row) => row.plan === 'premium').length / rows.length;
      assert.ok(calls(shifted) > calls(base) + 1, `support_calls ${calls(base)} → ${calls(shifted)}`);
      assert.ok(charges(shifted) > charges(base) + 10, `monthly_charges ${charges(base)} → ${charges(shifted)}`);
      assert.ok(premium(shifted) > premium(base) + 0.08, `premium share ${premium(base)} → ${premium(shifted)}`);
    });

    it('rejects bad arguments with exit code 2', async function () {
      const run = await runExampleScript(EXAMPLE, 'generate_data.py', [
        '--rows',
        '100',
        '--seed',
        '1',
        '--drift',
        '2',
        '--out',
        work,
      ]);
      assertExit(run, 2);
      assert.match(run.stderr, /--drift/);
    });
  });

  describe('train.py', function () {
    it('trains with the default params and writes the model, its descriptor with the inputs, and metrics', function () {
      assertExit(trained, 0);
      for (const name of ['model.joblib', 'model.json', 'metrics.json']) {
        assert.ok(fs.existsSync(path.join(model, name)), `${name} written`);
      }
      // the inputs: the feature columns in the order the model takes them (features.py), with their types
      const column = (name: string, datatype: string) => ({ name, datatype });
      const descriptor = readJson(path.join(model, 'model.json'));
      assert.deepEqual(descriptor, {
        format: 'sklearn',
        file: 'model.joblib',
        name: 'churn',
        inputs: [
          column('tenure_months', 'INT64'),
          column('monthly_charges', 'FP64'),
          column('total_charges', 'FP64'),
          column('support_calls', 'INT64'),
          column('plan', 'BYTES'),
          column('region', 'BYTES'),
          column('contract', 'BYTES'),
        ],
      });
      assert.ok(checkModelDescriptor(descriptor).ok, 'the project reads what the job wrote');
      assert.equal(fs.existsSync(path.join(model, 'model-settings.json')), false, 'no settings of another server');
      const metrics = readJson<Record<string, number>>(path.join(model, 'metrics.json'));
      assert.ok(metrics.val_auc !== undefined && metrics.val_auc > 0.7, `val_auc ${metrics.val_auc}`);
      assert.ok(metrics.holdout_auc !== undefined && metrics.holdout_auc > 0.7, `holdout_auc ${metrics.holdout_auc}`);
      assert.equal(metrics.n_iter, 100);
    });

    it('appends per-iteration metrics, at least two steps per metric, in increasing order', function () {
      const lines = fs.readFileSync(metricsFile, 'utf8').trimEnd().split('\n');
      const steps = new Map<string, number[]>();
      for (const line of lines) {
        const point = JSON.parse(line) as { step: number; name: string; value: number };
        assert.equal(typeof point.value, 'number');
        steps.set(point.name, [...(steps.get(point.name) ?? []), point.step]);
      }
      for (const name of ['train_logloss', 'val_logloss', 'val_auc']) {
        const seen = steps.get(name) ?? [];
        assert.ok(seen.length >= 2, `${name}: ${seen.length} lines`);
        assert.ok(
          seen.every((step, i) => i === 0 || step > (seen[i - 1] ?? Infinity)),
          `${name} steps increase`,
        );
      }
    });

    it('rejects a param of the wrong type or an unknown param with exit code 2, naming it', async function () {
      const env = { MLOPS_DATA_DIR: data, MLOPS_OUTPUT_DIR: path.join(work, 'bad') };
      const [wrongType, unknown, outOfRange] = await Promise.all([
        runExampleScript(EXAMPLE, 'train.py', [], { ...env, MLOPS_PARAMS: '{"learning_rate": "fast"}' }),
        runExampleScript(EXAMPLE, 'train.py', [], { ...env, MLOPS_PARAMS: '{"learing_rate": 0.1}' }),
        runExampleScript(EXAMPLE, 'train.py', [], { ...env, MLOPS_PARAMS: '{"max_iter": 0}' }),
      ]);
      assertExit(wrongType, 2);
      assert.match(wrongType.stderr, /learning_rate/);
      assertExit(unknown, 2);
      assert.match(unknown.stderr, /learing_rate/);
      assertExit(outOfRange, 2);
      assert.match(outOfRange.stderr, /max_iter/);
      assert.ok(!fs.existsSync(path.join(work, 'bad', 'model.joblib')));
    });

    it('names a missing data file and exits with code 2', async function () {
      const empty = fs.mkdtempSync(path.join(work, 'empty-'));
      const run = await runExampleScript(EXAMPLE, 'train.py', [], {
        MLOPS_DATA_DIR: empty,
        MLOPS_OUTPUT_DIR: path.join(work, 'x'),
      });
      assertExit(run, 2);
      assert.match(run.stderr, /train\.csv/);
    });
  });

  describe('evaluate.py', function () {
    it('scores the model on the holdout: metrics, calibration, segments and ROC points', async function () {
      assertExit(trained, 0);
      const out = path.join(work, 'evaluation');
      assertExit(
        await runExampleScript(EXAMPLE, 'evaluate.py', [], {
          MLOPS_MODEL_DIR: model,
          MLOPS_DATA_DIR: data,
          MLOPS_OUTPUT_DIR: out,
        }),
        0,
      );
      const evaluation = readJson<{
        n: number;
        auc: number;
        accuracy: number;
        f1: number;
        log_loss: number;
        expected_calibration_error: number;
        segments: Record<string, Record<string, { count: number; auc: number | null; accuracy: number }>>;
        roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
        calibration: { mean_predicted: number; fraction_positive: number; count: number }[];
      }>(path.join(out, 'evaluation.json'));
      assert.equal(evaluation.n, 1000);
      assert.ok(evaluation.auc > 0.7 && evaluation.auc <= 1, `auc ${evaluation.auc}`);
      assert.ok(evaluation.accuracy > 0.5 && evaluation.accuracy <= 1);
      assert.ok(evaluation.f1 > 0 && evaluation.f1 <= 1);
      assert.ok(evaluation.log_loss > 0);
      const ece = evaluation.expected_calibration_error;
      assert.ok(ece >= 0 && ece <= 1, `ece ${ece}`);
      for (const column of ['plan', 'region', 'contract']) {
        const segment = evaluation.segments[column];
        assert.ok(segment, `segment ${column}`);
        const counts = Object.values(segment).map((s) => s.count);
        assert.equal(
          counts.reduce((a, b) => a + b, 0),
          1000,
          `${column} counts add up`,
        );
      }
      assert.deepEqual(Object.keys(evaluation.segments.plan ?? {}).sort(), ['basic', 'premium', 'standard']);
      const { fpr, tpr, thresholds } = evaluation.roc;
      assert.ok(fpr.length >= 2 && fpr.length <= 200, `${fpr.length} roc points`);
      assert.equal(tpr.length, fpr.length);
      assert.equal(thresholds.length, fpr.length);
      assert.deepEqual([fpr[0], tpr[0], fpr.at(-1), tpr.at(-1)], [0, 0, 1, 1]);
      assert.ok(evaluation.calibration.length >= 2);
      assert.equal(
        evaluation.calibration.reduce((a, b) => a + b.count, 0),
        1000,
      );
    });

    it('names a missing model file and exits with code 2', async function () {
      const run = await runExampleScript(EXAMPLE, 'evaluate.py', [], {
        MLOPS_MODEL_DIR: path.join(work, 'nowhere'),
        MLOPS_DATA_DIR: data,
        MLOPS_OUTPUT_DIR: path.join(work, 'y'),
      });
      assertExit(run, 2);
      assert.match(run.stderr, /model\.joblib/);
    });
  });
});
