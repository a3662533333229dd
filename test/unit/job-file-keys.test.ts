/** One set of keys in job and pipeline files: deprecated spellings, and the params a job file declares. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors';
import { sweepSpecSchema } from '../../common/schemas/sweep';
import { trainingJobSpecSchema } from '../../common/schemas/training-job';
import { jobFromSpec, readYamlFile } from '../../client/job-file';
import { checkPipelineSpec } from '../../client/pipeline-spec';

describe('keys of job and pipeline files', function () {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-keys-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const userError = (code: number, message: RegExp) => (err: unknown) =>
    err instanceof UserError && err.exitCode === code && message.test(err.message);

  it('reads the deprecated `command` of a job or sweep file as `entrypoint`, warning with the file and line', function () {
    const file = write('train.yaml', 'name: j\npipeline: churn\ncommand: [python, train.py]\n');
    const warnings: string[] = [];
    const { value } = readYamlFile(file, trainingJobSpecSchema, (w) => warnings.push(w));
    assert.deepEqual(value.entrypoint, ['python', 'train.py']);
    assert.deepEqual(warnings, [`mlops: warning: ${file}:3: command: deprecated, use entrypoint`]);
    const sweep = write(
      'sweep.yaml',
      'name: s\npipeline: churn\ncommand: [python, train.py]\nsweep:\n  algorithm: grid\n  objective: { metric: auc, direction: maximize }\n  space: { lr: { type: choice, values: [1] } }\n',
    );
    assert.deepEqual(readYamlFile(sweep, sweepSpecSchema, () => {}).value.entrypoint, ['python', 'train.py']);
  });

  it('refuses both spellings at once (exit 2), and warns of nothing for entrypoint', function () {
    const both = write('both.yaml', 'name: j\npipeline: churn\ncommand: [a]\nentrypoint: [b]\n');
    assert.throws(
      () => readYamlFile(both, trainingJobSpecSchema, () => {}),
      userError(2, /:3: command: give entrypoint only/),
    );
    const warnings: string[] = [];
    readYamlFile(write('new.yaml', 'name: j\npipeline: churn\nentrypoint: [b]\n'), trainingJobSpecSchema, (w) =>
      warnings.push(w),
    );
    assert.deepEqual(warnings, []);
  });

  it('with paramTypes, refuses an undeclared or mistyped param in the file and in --set, naming it', function () {
    const typed = 'name: j\npipeline: churn\nentrypoint: [python, t.py]\nparamTypes: { lr: float, depth: int? }\n';
    assert.throws(
      () => readYamlFile(write('a.yaml', `${typed}params: { lr: fast, seed: 1 }\n`), trainingJobSpecSchema),
      (err: unknown) =>
        err instanceof UserError &&
        /a\.yaml:5: params\.lr: param lr must be a number, got "fast"/.test(err.message) &&
        /params\.seed: param seed is not declared in paramTypes \(declared: depth, lr\)/.test(err.message),
    );
    const { value, dir: at } = readYamlFile(write('b.yaml', `${typed}params: { lr: 0.1 }\n`), trainingJobSpecSchema);
    assert.equal(jobFromSpec(value, at, { lr: 0.2, depth: null }).params.depth, null);
    assert.throws(
      () => jobFromSpec(value, at, { lr: 0.1, foo: 1 }),
      userError(2, /--set\): param foo is not declared/),
    );
    assert.throws(
      () => jobFromSpec(value, at, { lr: 0.1, depth: 2.5 }),
      userError(2, /param depth must be an integer or null/),
    );
    // without paramTypes, params stay free-form
    const free = readYamlFile(write('c.yaml', 'name: j\npipeline: churn\nentrypoint: [x]\n'), trainingJobSpecSchema);
    assert.equal(jobFromSpec(free.value, free.dir, { anything: 1 }).params.anything, 1);
  });

  it('reads a pipeline file’s training.command as training.entrypoint', function () {
    const spec = fs
      .readFileSync(path.join(__dirname, '../../examples/churn/pipeline.yaml'), 'utf8')
      .replace('  entrypoint: [python, train.py]', '  command: [python, train.py]')
      .replace('../../data/churn', '.');
    for (const script of ['train.py', 'evaluate.py']) write(script, '');
    const check = checkPipelineSpec(write('pipeline.yaml', spec), { sourceRoots: [dir] });
    assert.ok(check.ok, JSON.stringify(!check.ok && check.errors));
    assert.deepEqual(check.loaded.spec.training.entrypoint, ['python', 'train.py']);
  });
});
