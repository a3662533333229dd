/**
 * `__proto__`, `constructor` and `prototype` as names that become object keys: a CSV column, a
 * param (in a spec, a job file, `--set`), a search-space entry, an expectations key. Each used to
 * vanish silently (the schema library and object spreads drop `__proto__`) or break a lookup later
 * (the drift baseline's columns); each is now refused with an error naming the file and field.
 * No server: the CLI runs as a child process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { profileCsv } from '../../activities/data';
import { checkPipelineSpec } from '../../client/pipeline-spec';
import { isDataError } from '../../common/failures';
import { findReservedKeys } from '../../common/reserved-keys';
import { sweepSpecSchema } from '../../common/schemas/sweep';
import { applyParamOverrides } from '../../common/schemas/training-job';
import { runCli } from '../support/cli';

const SPEC = `name: churn
model: churn
dataset:
  name: churn
  source: data
training:
  entrypoint: [python, train.py]
  params:
    max_iter: 80
    __proto__: { polluted: true }
evaluation:
  entrypoint: [python, evaluate.py]
  primaryMetric: auc
`;

describe('reserved names as keys', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-proto-'));
    fs.writeFileSync(path.join(dir, 'train.py'), '');
    fs.writeFileSync(path.join(dir, 'evaluate.py'), '');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('a CSV column', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      it(`named ${name} fails the profile as DatasetInvalid naming the file and the column`, async () => {
        const error = await profileCsv([`id,${name}\n1,2\n`], 'data/train.csv').then(
          () => assert.fail(`profiled a column ${name}`),
          (e: unknown) => e,
        );
        assert.ok(isDataError(error, 'DatasetInvalid'), String(error));
        assert.match(
          (error as Error).message,
          new RegExp(`^data/train\\.csv line 1: column "${name}" is a reserved name`),
        );
      });
    }

    it('an ordinary header still profiles', async () => {
      const profile = await profileCsv(['id,proto,construct\n1,2,3\n'], 'ok.csv');
      assert.deepEqual(
        profile.columns.map((c) => c.name),
        ['id', 'proto', 'construct'],
      );
    });
  });

  describe('a param', () => {
    it('__proto__ in a spec is refused naming training.params.__proto__ and its line, not dropped', () => {
      const file = path.join(dir, 'churn.yaml');
      fs.writeFileSync(file, SPEC);
      const check = checkPipelineSpec(file);
      assert.equal(check.ok, false, 'the spec validated with its __proto__ param dropped');
      assert.deepEqual(check.ok ? [] : check.errors.map((e) => [e.path, e.line]), [['training.params.__proto__', 10]]);
    });

    it('constructor in a spec is refused by the schema', () => {
      const file = path.join(dir, 'ctor.yaml');
      fs.writeFileSync(file, SPEC.replace('__proto__: { polluted: true }', 'constructor: 1'));
      const check = checkPipelineSpec(file);
      assert.equal(check.ok, false);
      assert.match(
        check.ok ? '' : check.errors.map((e) => `${e.path}: ${e.message}`).join('\n'),
        /^training\.params\.constructor: "constructor" is a reserved name/m,
      );
    });

    it('in a job file and in --set, mlops train exits 2 naming it', async () => {
      const job = path.join(dir, 'job.yaml');
      fs.writeFileSync(job, 'name: j\npipeline: churn\ncommand: [python, train.py]\nparams:\n  __proto__: 1\n');
      const fromFile = await runCli(['train', job]);
      assert.equal(fromFile.code, 2, fromFile.stderr);
      assert.match(fromFile.stderr, new RegExp(`${job}:5: params\\.__proto__: "__proto__" is a reserved name`));
      fs.writeFileSync(job, 'name: j\npipeline: churn\ncommand: [python, train.py]\n');
      const fromFlag = await runCli(['train', job, '--set', '__proto__={"x":1}']);
      assert.equal(fromFlag.code, 2, fromFlag.stderr);
      assert.match(fromFlag.stderr, /--set __proto__: "__proto__" is a reserved name/);
      assert.throws(() => applyParamOverrides({}, ['prototype=1']), /--set prototype: "prototype" is a reserved name/);
    });

    it('as a search-space entry of a sweep is refused by the schema', () => {
      const parsed = sweepSpecSchema.safeParse({
        name: 's',
        pipeline: 'churn',
        entrypoint: ['python', 'train.py'],
        sweep: {
          algorithm: 'grid',
          objective: { metric: 'auc', direction: 'maximize' },
          space: { constructor: { type: 'choice', values: [1, 2] } },
        },
      });
      assert.equal(parsed.success, false);
      assert.deepEqual(
        parsed.error?.issues.map((i) => i.path.join('.')),
        ['sweep.space.constructor'],
      );
    });
  });

  describe('any key of a file read from users', () => {
    it('is found at any depth, with its path', () => {
      const value = JSON.parse('{"a":[{"b":{"__proto__":{}}}],"c":{"prototype":1}}') as unknown;
      assert.deepEqual(
        findReservedKeys(value)
          .map((i) => i.path.join('.'))
          .sort(),
        ['a.0.b.__proto__', 'c.prototype'],
      );
    });

    it('an expectations file with __proto__ is refused by mlops data validate, exit 2', async () => {
      const file = path.join(dir, 'expect.json');
      fs.writeFileSync(file, '{"maxNullRate": {"__proto__": 0.1}}');
      const r = await runCli(['data', 'validate', 'churn', 'latest', '--expectations', file], {
        MLOPS_STORE: `file://${path.join(dir, 'store')}`,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--expectations: .*expect\.json: maxNullRate\.__proto__: "__proto__" is a reserved name/);
    });
  });
});
