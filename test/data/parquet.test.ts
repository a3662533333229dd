/**
 * Parquet tables, written by the real pyarrow of the project's venv: profiled like the CSV of the
 * same table, validated against expectations, used as a drift baseline, refused clearly when they
 * are not Parquet or over the limits, and read by the churn example's jobs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { profileCsv, profileParquet, snapshotDataset, validateDataset, type FileProfile } from '../../activities/data';
import { BASELINE_MAX_ROWS, loadBaseline } from '../../activities/monitoring/baseline';
import { FilesystemBlobStore } from '../../activities/storage';
import { REPO_ROOT } from '../../lib/tools';
import { PYTHON, assertExit, runExampleScript } from '../support/example-scripts';
import { rejectsWithType, tempDir } from './helpers';

const CHURN = path.join(REPO_ROOT, 'examples', 'churn');

/**
 * One table in every format the test compares: 3,000 rows in row groups of 700, with integers,
 * floats (some integral, some missing), strings with nulls, a pandas categorical, booleans with
 * nulls, timestamps with nulls and nullable integers. pandas writes the CSV; pyarrow the Parquet files.
 */
const WRITE_TABLE = `
import sys
import numpy as np, pandas as pd
out = sys.argv[1]
rng = np.random.default_rng(7)
n = 3000
income = np.round(rng.normal(3000, 800, n), 2)
income[::97] = np.nan
income[5] = 4000.0
name = np.array([f"c{i}" for i in range(n)], dtype=object)
name[::13] = None
active = np.where(rng.random(n) < 0.5, True, False).astype(object)
active[::11] = None
seen = pd.Series(pd.date_range("2024-01-01", periods=n, freq="6h"))
seen[::19] = pd.NaT
frame = pd.DataFrame({
    "id": np.arange(1, n + 1),
    "age": rng.integers(18, 90, n),
    "income": income,
    "name": name,
    "plan": pd.Categorical(rng.choice(["basic", "pro", "enterprise"], n)),
    "active": active,
    "seen": seen,
    "calls": pd.array([None if i % 17 == 0 else int(v) for i, v in enumerate(rng.poisson(2, n))], dtype="Int64"),
})
frame.to_csv(f"{out}/table.csv", index=False)
frame.to_parquet(f"{out}/table.parquet", index=False, row_group_size=700)
frame.to_parquet(f"{out}/table-zstd.parquet", index=False, compression="zstd")
# over the baseline's 50,000 rows, so its reservoir draws the sample
m = 60000
x = np.round(rng.normal(0, 1, m), 4)
x[::101] = np.nan
big = pd.DataFrame({"x": x, "g": pd.Categorical(rng.choice(["a", "b", "c"], m)), "k": rng.integers(0, 9, m)})
big.to_csv(f"{out}/big.csv", index=False)
big.to_parquet(f"{out}/big.parquet", index=False, row_group_size=8000)
frame.set_axis(np.arange(n)[::-1] * 3).to_parquet(f"{out}/indexed.parquet")  # stored as __index_level_0__
`;

function writeTable(): string {
  const dir = tempDir('parquet-');
  execFileSync(PYTHON, ['-c', WRITE_TABLE, dir]);
  return dir;
}

function chunksOf(file: string): Buffer[] {
  return [fs.readFileSync(file)];
}

describe('Parquet datasets', function () {
  this.timeout(120_000);
  let dir: string;
  let csvProfile: FileProfile;

  before(async function () {
    dir = writeTable();
    csvProfile = await profileCsv(chunksOf(path.join(dir, 'table.csv')), 'table');
  });

  describe('profile', function () {
    it('profiles a Parquet file written by pyarrow (snappy, several row groups) exactly as the CSV of the same table', async function () {
      const profile = await profileParquet(chunksOf(path.join(dir, 'table.parquet')), 'table');
      assert.deepEqual(profile, csvProfile);
      // what the profile says, so a match of two wrong profiles cannot pass
      assert.equal(profile.rows, 3000);
      const types = Object.fromEntries(profile.columns.map((c) => [c.name, c.type]));
      assert.deepEqual(types, {
        id: 'integer',
        age: 'integer',
        income: 'number',
        name: 'string',
        plan: 'string',
        active: 'boolean',
        seen: 'datetime',
        calls: 'integer',
      });
      const income = profile.columns.find((c) => c.name === 'income')!;
      assert.equal(income.nulls, 31);
      const plan = profile.columns.find((c) => c.name === 'plan')!;
      assert.deepEqual(plan.distinctValues, ['basic', 'enterprise', 'pro']);
      assert.equal(profile.columns.find((c) => c.name === 'name')!.nulls, 231);
    });

    it('reads zstd-compressed files, and leaves out the index columns pandas writes', async function () {
      assert.deepEqual(await profileParquet(chunksOf(path.join(dir, 'table-zstd.parquet')), 'table'), csvProfile);
      const indexed = await profileParquet(chunksOf(path.join(dir, 'indexed.parquet')), 'table');
      assert.deepEqual(indexed, csvProfile);
    });

    it('refuses a file that is not Parquet, and a column chunk over the limit, as DatasetInvalid naming the file', async function () {
      await rejectsWithType(
        profileParquet([Buffer.from('id,age\n1,2\n')], 'fake.parquet'),
        'DatasetInvalid',
        /^fake\.parquet: not a Parquet file$/,
      );
      const bytes = fs.readFileSync(path.join(dir, 'table.parquet'));
      await rejectsWithType(
        profileParquet([bytes.subarray(0, bytes.length - 200), bytes.subarray(bytes.length - 8)], 'cut.parquet'),
        'DatasetInvalid',
        /^cut\.parquet: /,
      );
      await rejectsWithType(
        profileParquet([bytes], 'big.parquet', { maxColumnChunkBytes: 1000 }),
        'DatasetInvalid',
        /^big\.parquet: row group 0: column \w+ holds [\d.]+ MiB uncompressed, over the limit of .* row_group_size/,
      );
    });

    it('profiles the Parquet files of a snapshot, and validates expectations against them', async function () {
      const source = tempDir('parquet-source-');
      fs.copyFileSync(path.join(dir, 'table.parquet'), path.join(source, 'train.parquet'));
      fs.writeFileSync(path.join(source, 'notes.txt'), 'not a table\n');
      const store = new FilesystemBlobStore(tempDir('parquet-store-'));
      const { id } = await snapshotDataset(store, { dataset: 'customers', source });

      const passing = await validateDataset(store, {
        dataset: 'customers',
        id,
        expectations: {
          file: 'train.parquet',
          requiredColumns: [
            { name: 'age', type: 'integer' },
            { name: 'income', type: 'number' },
            { name: 'plan', type: 'string' },
          ],
          minRows: 3000,
          maxNullRate: { income: 0.02 },
          allowedCategories: { plan: ['basic', 'pro', 'enterprise'] },
          ranges: { age: { min: 18, max: 89 } },
        },
      });
      assert.equal(passing.passed, true, JSON.stringify(passing.results.filter((r) => !r.passed)));
      assert.deepEqual(
        passing.results.map((r) => r.file),
        Array(passing.results.length).fill('train.parquet'),
      );

      const failing = await validateDataset(store, {
        dataset: 'customers',
        id,
        expectations: {
          requiredColumns: [{ name: 'region' }, { name: 'name', type: 'number' }],
          allowedCategories: { plan: ['basic', 'pro'] },
          ranges: { age: { max: 60 } },
        },
      });
      assert.equal(failing.passed, false);
      const failed = failing.results.filter((r) => !r.passed);
      assert.deepEqual(
        failed.map((r) => r.message),
        [
          'train.parquet: column region is missing',
          'train.parquet: column name is string, number expected',
          'train.parquet: plan has values outside the allowed set: enterprise',
          failed[3]!.message,
        ],
      );
      assert.match(failed[3]!.message, /^train\.parquet: age spans 18 to 89; allowed -∞ to 60$/);
    });
  });

  describe('drift baseline', function () {
    it('samples a Parquet training file into the same rows and columns as the CSV of the same table', async function () {
      const source = tempDir('parquet-baseline-');
      fs.copyFileSync(path.join(dir, 'big.csv'), path.join(source, 'train.csv'));
      fs.copyFileSync(path.join(dir, 'big.parquet'), path.join(source, 'train.parquet'));
      const store = new FilesystemBlobStore(tempDir('parquet-store-'));
      const { id } = await snapshotDataset(store, { dataset: 'customers', source });
      const ref = { dataset: 'customers', snapshot: id, exclude: ['k'] };
      const fromCsv = await loadBaseline(store, { ...ref, file: 'train.csv' });
      const fromParquet = await loadBaseline(store, { ...ref, file: 'train.parquet' });
      assert.equal(fromParquet.rows, 60_000);
      assert.equal(fromParquet.sampled, BASELINE_MAX_ROWS);
      assert.deepEqual(Object.keys(fromParquet.columns), ['x', 'g']);
      assert.ok(fromParquet.columns.x instanceof Float64Array, 'x is numeric');
      assert.ok(fromParquet.columns.x.length < BASELINE_MAX_ROWS, 'missing values are left out');
      assert.deepEqual(fromParquet.columns.x, fromCsv.columns.x);
      assert.deepEqual(fromParquet.columns.g, fromCsv.columns.g);
      assert.deepEqual(new Set(fromParquet.columns.g as string[]), new Set(['a', 'b', 'c']));
    });
  });

  describe('the churn example', function () {
    it('generates Parquet data with --format parquet, and trains and evaluates on it', async function () {
      const data = tempDir('churn-parquet-');
      assertExit(
        await runExampleScript(CHURN, 'generate_data.py', [
          '--rows',
          '600',
          '--seed',
          '3',
          '--out',
          data,
          '--format',
          'parquet',
        ]),
        0,
      );
      assert.deepEqual(fs.readdirSync(data).sort(), ['holdout.parquet', 'train.parquet']);
      const profile = await profileParquet(chunksOf(path.join(data, 'train.parquet')), 'train.parquet');
      assert.equal(profile.rows, 480);
      assert.deepEqual(
        profile.columns.map((c) => `${c.name}:${c.type}`),
        [
          'customer_id:string',
          'tenure_months:integer',
          'monthly_charges:number',
          'total_charges:number',
          'support_calls:integer',
          'plan:string',
          'region:string',
          'contract:string',
          'churned:integer',
        ],
      );

      const model = tempDir('churn-parquet-model-');
      const train = await runExampleScript(CHURN, 'train.py', [], {
        MLOPS_DATA_DIR: data,
        MLOPS_OUTPUT_DIR: model,
        MLOPS_PARAMS: JSON.stringify({ max_iter: 10 }),
      });
      assertExit(train, 0);
      const metrics = JSON.parse(fs.readFileSync(path.join(model, 'metrics.json'), 'utf8')) as Record<string, number>;
      assert.ok(metrics.holdout_auc! > 0.6, `holdout_auc ${metrics.holdout_auc}: the holdout.parquet was scored`);

      const output = tempDir('churn-parquet-eval-');
      const evaluate = await runExampleScript(CHURN, 'evaluate.py', [], {
        MLOPS_MODEL_DIR: model,
        MLOPS_DATA_DIR: data,
        MLOPS_OUTPUT_DIR: output,
      });
      assertExit(evaluate, 0);
      const evaluation = JSON.parse(fs.readFileSync(path.join(output, 'evaluation.json'), 'utf8')) as {
        n: number;
        data_file: string;
      };
      assert.equal(evaluation.n, 120);
      assert.equal(evaluation.data_file, 'holdout.parquet');
    });
  });
});
