import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors';
import { checkPipelineSpec, findPipelineSpec, loadPipelineSpec } from '../../client/pipeline-spec';
import { REPO_ROOT } from '../../lib/tools';
import { runCli } from '../support/cli';

const EXAMPLE = 'examples/churn/pipeline.yaml';

const VALID = `name: churn
model: churn
dataset:
  name: churn
  source: data
training:
  entrypoint: [python, train.py]
evaluation:
  entrypoint: [python, evaluate.py]
  primaryMetric: auc
`;

describe('pipeline spec files', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-pipeline-'));
    fs.writeFileSync(path.join(dir, 'train.py'), '');
    fs.writeFileSync(path.join(dir, 'evaluate.py'), '');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  describe('mlops pipeline validate', () => {
    it('accepts the churn example and summarizes it', async () => {
      const result = await runCli(['pipeline', 'validate', EXAMPLE]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout.trim(),
        `${EXAMPLE}: ok (pipeline churn, model churn, 4 gates, approval not required, schedule "0 3 * * *" UTC, overlap skip, rollout canary to churn, drift monitoring every 10s)`,
      );
    });

    it('exits 2 naming the file, the line and the field path of every problem', async () => {
      const bad = write(
        'bad.yaml',
        VALID.replace('  primaryMetric: auc\n', '  primaryMetric: auc\n  gates: { treshold: 1 }\n') +
          'schedule:\n  cron: "61 * * * *"\n  timezone: Mars/Olympus\n',
      );
      const result = await runCli(['pipeline', 'validate', bad]);
      assert.equal(result.code, 2, result.stdout);
      assert.match(result.stderr, new RegExp(`^${bad}:11: evaluation\\.gates: unknown key "treshold"`, 'm'));
      assert.match(
        result.stderr,
        new RegExp(`^${bad}:13: schedule\\.cron: minute field "61": 61 is out of range 0-59`, 'm'),
      );
      assert.match(result.stderr, new RegExp(`^${bad}:14: schedule\\.timezone: not an IANA time zone`, 'm'));
      assert.match(result.stderr, /mlops: .*bad\.yaml is not a valid pipeline spec/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });

    it('names the wrong type and the four-field cron', async () => {
      const bad = write(
        'types.yaml',
        VALID.replace('entrypoint: [python, train.py]', 'entrypoint: python train.py') +
          'schedule:\n  cron: "* * * *"\n',
      );
      const result = await runCli(['pipeline', 'validate', bad]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`^${bad}:7: training\\.entrypoint: .*expected array`, 'm'));
      assert.match(result.stderr, new RegExp(`^${bad}:12: schedule\\.cron: needs 5 fields`, 'm'));
    });

    it('refuses an entrypoint script that is not in the code folder', async () => {
      fs.rmSync(path.join(dir, 'train.py'));
      const spec = write('missing.yaml', VALID);
      const result = await runCli(['pipeline', 'validate', spec]);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        new RegExp(`^${spec}:7: training\\.entrypoint: train\\.py not found in ${dir}$`, 'm'),
      );
      const noDir = write('nodir.yaml', VALID.replace('training:\n', 'training:\n  codeDir: ./src\n'));
      const missingDir = await runCli(['pipeline', 'validate', noDir]);
      assert.equal(missingDir.code, 2);
      assert.match(missingDir.stderr, /nodir\.yaml:7: training\.codeDir: the folder .*\/src does not exist/);
    });

    it('reports every file with --json and exits 2 when any is invalid', async () => {
      const good = write('good.yaml', VALID);
      const bad = write('bad.yaml', VALID.replace('model: churn', 'model: Churn!'));
      const result = await runCli(['--json', 'pipeline', 'validate', good, bad]);
      assert.equal(result.code, 2, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.deepEqual(
        report.files.map((f: { file: string; ok: boolean }) => [f.file, f.ok]),
        [
          [good, true],
          [bad, false],
        ],
      );
      assert.equal(report.files[0].summary.pipeline, 'churn');
      assert.deepEqual(report.files[0].summary.gates, []);
      assert.equal(report.files[0].summary.approval.required, false);
      assert.deepEqual(report.files[1].errors, [
        {
          path: 'model',
          line: 2,
          message: 'lowercase letters, digits, . _ - (at most 63, starting with a letter or digit)',
        },
      ]);
      assert.match(JSON.parse(result.stderr).error.message, /1 of 2 pipeline specs are invalid/);
    });

    it('reports a YAML syntax error with its line', async () => {
      const broken = write('broken.yaml', 'name: churn\nmodel: [unclosed\n');
      const result = await runCli(['--json', 'pipeline', 'validate', broken]);
      assert.equal(result.code, 2);
      const [file] = JSON.parse(result.stdout).files;
      assert.equal(file.ok, false);
      assert.equal(file.errors[0].path, '');
      assert.ok(file.errors[0].line >= 2, JSON.stringify(file.errors));
    });
  });

  describe('loading and finding specs', () => {
    it('resolves the data source and code folders against the spec file', () => {
      const loaded = loadPipelineSpec(write('churn.yaml', VALID));
      assert.equal(loaded.dir, dir);
      assert.equal(loaded.spec.dataset.source, path.join(dir, 'data'));
      assert.equal(loaded.spec.training.codeDir, dir);
      assert.equal(loaded.spec.evaluation.codeDir, dir);
      const s3 = loadPipelineSpec(write('s3.yaml', VALID.replace('source: data', 'source: s3://bucket/churn')));
      assert.equal(s3.spec.dataset.source, 's3://bucket/churn');
    });

    it('loads the churn example with its data under <repo>/data/churn', () => {
      const loaded = loadPipelineSpec(path.join(REPO_ROOT, EXAMPLE));
      assert.equal(loaded.spec.dataset.source, path.join(REPO_ROOT, 'data', 'churn'));
      assert.equal(loaded.spec.training.codeDir, path.join(REPO_ROOT, 'examples', 'churn'));
      const check = checkPipelineSpec(path.join(REPO_ROOT, EXAMPLE));
      assert.ok(check.ok, JSON.stringify(!check.ok && check.errors));
    });

    it('throws a UserError with exit code 2 listing file:line: path: message', () => {
      const file = write('bad.yaml', VALID.replace('  source: data\n', '  source: data\n  snapshot: latest\n'));
      assert.throws(
        () => loadPipelineSpec(file),
        (err: unknown) =>
          err instanceof UserError &&
          err.exitCode === 2 &&
          err.message.startsWith(`${file}:4: dataset: unknown key "snapshot"`),
      );
    });

    it('finds a pipeline by file name, or by the name a file declares', () => {
      write('churn.yaml', VALID);
      write('other-file.yml', VALID.replace('name: churn', 'name: fraud'));
      assert.equal(findPipelineSpec('churn', dir).spec.name, 'churn');
      const fraud = findPipelineSpec('fraud', dir);
      assert.equal(fraud.file, path.join(dir, 'other-file.yml'));
    });

    it('lists the available pipelines when the name is not found (exit 1)', () => {
      write('churn.yaml', VALID);
      write('fraud.yaml', VALID.replace('name: churn', 'name: fraud'));
      assert.throws(
        () => findPipelineSpec('upsell', dir),
        (err: unknown) =>
          err instanceof UserError &&
          err.exitCode === 1 &&
          err.message === `no pipeline upsell in ${dir}; available: churn, fraud`,
      );
      assert.throws(
        () => findPipelineSpec('churn', path.join(dir, 'nope')),
        (err: unknown) => err instanceof UserError && /pipelines folder .* does not exist/.test(err.message),
      );
    });

    it('refuses a file whose name: disagrees with its file name', () => {
      write('churn.yaml', VALID.replace('name: churn', 'name: fraud'));
      assert.throws(
        () => findPipelineSpec('churn', dir),
        (err: unknown) =>
          err instanceof UserError && err.exitCode === 2 && /name: is "fraud", not churn/.test(err.message),
      );
    });
  });
});
