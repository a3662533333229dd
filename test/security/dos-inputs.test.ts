/**
 * Denial of service through data and specs: every input below used to take the worker's or the
 * CLI's time or memory without bound (a quadratic regex, a string grown until V8 throws a bare,
 * retried RangeError, a sweep or monitor sized past the schema, a spec read from /dev/zero), or to
 * quote a credentials file in an error. Each now gets a clear error naming the file or field, in
 * bounded time and memory. No server: the CLI runs as a child process with a memory cap.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities/failures';
import { profileCsv } from '../../activities/data';
import { isNumberSyntax } from '../../activities/data/column-profile';
import { CsvParser, DEFAULT_CSV_LIMITS } from '../../activities/data/csv-parser';
import { checkPipelineSpec } from '../../client/pipeline-spec';
import type { DataError } from '../../common/failures';
import { isDataError } from '../../common/failures';
import { REPO_ROOT } from '../../lib/tools';
import { MAX_USER_FILE_BYTES } from '../../lib/user-files';
import { MLOPS_BIN } from '../support/cli';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `mlops <args>` as a child process whose heap is capped at `heapMb`, killed after `timeoutMs`. */
function runCapped(args: string[], { heapMb = 300, timeoutMs = 30_000, cwd = REPO_ROOT } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, MLOPS_BIN, ...args], {
      cwd,
      env: { ...process.env, MLOPS_HOME: path.join(os.tmpdir(), `mlops-dos-home-${process.pid}`) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The number syntax the profile accepted before (a regex that backtracks on long digit runs). */
const OLD_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

describe('denial of service through data and specs', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dos-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('the column profile', () => {
    it('profiles a column whose value is 100k digits and a letter, and calls it string', async function () {
      // the backtracking regex took about 8 s for this one field; a linear check takes milliseconds
      this.timeout(5_000);
      const long = '1'.repeat(100_000);
      const profile = await profileCsv([`id,value\n1,${long}x\n2,${long}\n3,7\n`], 'long.csv');
      const value = profile.columns.find((c) => c.name === 'value')!;
      assert.equal(profile.rows, 3);
      assert.equal(value.type, 'string');
      assert.equal(value.count, 3);
    });

    it('accepts exactly the number syntax it accepted before', () => {
      const samples = ['1', '-1', '+1', '1.', '.5', '1.5', '1e5', '1E-5', '-.5e+3', '007', '.', 'e5', '1e', '1e+',
        '--1', '1.2.3', '+', '', ' 1', '1 ', '1_000', '0x10', 'Infinity', '١'];
      const alphabet = '0123456789.eE+-x ';
      let seed = 7;
      for (let i = 0; i < 5000; i++) {
        let text = '';
        const length = (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 8;
        for (let k = 0; k < length; k++) text += alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length];
        samples.push(text);
      }
      for (const text of samples) assert.equal(isNumberSyntax(text), OLD_NUMBER.test(text), JSON.stringify(text));
    }); // prettier-ignore

    it('keeps memory bounded for long text values: distinct is left out, the type stays string', async () => {
      const rows = Array.from({ length: 50 }, (_, i) => `${i},${String(i).padStart(4096, 'x')}`).join('\n');
      const profile = await profileCsv([`id,text\n${rows}\n`], 'text.csv');
      const text = profile.columns.find((c) => c.name === 'text')!;
      assert.equal(text.type, 'string');
      assert.equal(text.distinct, undefined);
      assert.equal(profile.columns.find((c) => c.name === 'id')!.distinct, 50);
    });
  });

  describe('CSV records past the limit', () => {
    it('fails with a non-retryable DatasetInvalid naming the file, the line and the limit', () => {
      const parser = new CsvParser('data/huge.csv', () => undefined, { maxRecordChars: 1000 });
      parser.push('a,b\n1,2\n');
      const error = (() => {
        try {
          parser.push(`3,${'9'.repeat(600)}`);
          parser.push('9'.repeat(600));
        } catch (e) {
          return e;
        }
      })();
      assert.ok(isDataError(error, 'DatasetInvalid'), String(error));
      assert.match((error as Error).message, /^data\/huge\.csv line 3: a record longer than 1000 characters/);
      assert.deepEqual((error as DataError).details, { file: 'data/huge.csv', line: 3, limit: 1000 });
      const failure = toActivityFailure(error);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, 'DatasetInvalid');
      assert.equal(failure.nonRetryable, true);
    });

    it('refuses a quoted field and a line of commas past the limit alike', () => {
      const quoted = new CsvParser('q.csv', () => undefined, { maxRecordChars: 100 });
      assert.throws(() => quoted.push(`"${'x\n'.repeat(80)}`), /q\.csv line 1: a record longer than 100/);
      const commas = new CsvParser('c.csv', () => undefined, { maxFields: 50 });
      assert.throws(() => commas.push(','.repeat(60)), /c\.csv line 1: a record of more than 50 fields/);
    });

    it('enforces the production limit on the profile path, streamed (no 512 MiB on disk)', async function () {
      this.timeout(30_000);
      const mib = Buffer.alloc(1 << 20, 'a');
      const limitMiB = DEFAULT_CSV_LIMITS.maxRecordChars / (1 << 20);
      function* chunks() {
        yield Buffer.from('h\n');
        // one field, no line break: 1 MiB more than the limit
        for (let i = 0; i <= limitMiB; i++) yield mib;
      }
      const error = await rejection(profileCsv(chunks(), 'one-line.csv'));
      assert.ok(isDataError(error, 'DatasetInvalid'), String(error));
      assert.match((error as Error).message, /^one-line\.csv line 2: a record longer than 67108864 characters/);
    });
  });

  describe('sweep flags', () => {
    it('refuses --max-trials and --parallelism past the schema, exit 2 naming each flag', async () => {
      const r = await runCapped([
        'sweep',
        'examples/churn/sweep.yaml',
        '--max-trials',
        '1000000',
        '--parallelism',
        '100000',
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--max-trials: Too big: expected number to be <=1000/);
      assert.match(r.stderr, /--parallelism: Too big: expected number to be <=100/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  });

  describe('spec bounds', () => {
    const spec = (extra: string) => `name: churn
model: churn
dataset:
  name: churn
  source: data
training:
  entrypoint: [python, train.py]
  timeoutSeconds: 100000000
evaluation:
  entrypoint: [python, evaluate.py]
  primaryMetric: auc
rollout:
  endpoint: churn
  analysisInterval: 1ms
  failureLimit: 1000000
approval:
  remindEvery: 1ms
${extra}`;

    it('names every field over its bound', () => {
      const file = path.join(dir, 'bounds.yaml');
      fs.writeFileSync(file, spec('monitoring:\n  sampleSize: 1000000000\n  interval: 1ms\n'));
      const check = checkPipelineSpec(file);
      assert.equal(check.ok, false);
      const issues = check.ok ? [] : check.errors.map((e) => `${e.path}: ${e.message}`);
      for (const expected of [
        /^monitoring\.sampleSize: Too big: expected number to be <=1000000$/,
        /^monitoring\.interval: must be at least 1s$/,
        /^rollout\.analysisInterval: must be at least 1s$/,
        /^rollout\.failureLimit: Too big: expected number to be <=1000$/,
        /^training\.timeoutSeconds: at most 30 days/,
        /^approval\.remindEvery: must be at least 1s$/,
      ])
        assert.ok(
          issues.some((i) => expected.test(i)),
          `${expected} not in\n${issues.join('\n')}`,
        );
    });

    it('mlops pipeline validate exits 2 naming the field and its line', async () => {
      const file = path.join(dir, 'sample.yaml');
      fs.writeFileSync(
        file,
        spec('monitoring:\n  sampleSize: 1e9\n').replace(
          /\n {2}(timeoutSeconds|analysisInterval|failureLimit|remindEvery):.*/g,
          '',
        ),
      );
      const r = await runCapped(['pipeline', 'validate', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^${file}:\\d+: monitoring\\.sampleSize: Too big`, 'm'));
    });
  });

  describe('spec files that are not small regular files', () => {
    it('refuses /dev/zero at once, naming it, with the heap capped at 300 MB', async () => {
      for (const command of [['pipeline', 'validate'], ['train'], ['sweep']]) {
        const r = await runCapped([...command, '/dev/zero'], { timeoutMs: 20_000 });
        assert.equal(r.signal, null, `mlops ${command.join(' ')} /dev/zero was killed: ${r.stderr}`);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /\/dev\/zero: not a regular file/);
      }
    });

    it('refuses a file over the size limit before reading it', async () => {
      const big = path.join(dir, 'big.yaml');
      fs.writeFileSync(big, `name: churn\n#${'x'.repeat(MAX_USER_FILE_BYTES)}\n`);
      const r = await runCapped(['pipeline', 'validate', big]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${big}: \\d+ bytes, more than the limit of ${MAX_USER_FILE_BYTES}`));
    });
  });

  describe('a job file that is a symlink to a credentials file', () => {
    const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    let home: string;
    let project: string;

    before(() => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dos-home-'));
      fs.mkdirSync(path.join(home, '.aws'));
      fs.writeFileSync(
        path.join(home, '.aws', 'credentials'),
        `[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = ${SECRET}\n`,
      );
      project = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dos-project-'));
      fs.symlinkSync(path.join(home, '.aws', 'credentials'), path.join(project, 'job.yaml'));
      // the same content inside the project, read as a (broken) YAML file
      fs.copyFileSync(path.join(home, '.aws', 'credentials'), path.join(project, 'copied.yaml'));
    });
    after(() => {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(project, { recursive: true, force: true });
    });

    it('is refused as a link out of its folder, and no line of the target is quoted', async () => {
      for (const command of [['train'], ['sweep'], ['pipeline', 'validate']]) {
        const r = await runCapped([...command, 'job.yaml'], { cwd: project });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /job\.yaml: a symlink to a file outside its own folder/);
        assert.doesNotMatch(r.stderr + r.stdout, /aws_secret_access_key|EXAMPLEKEY|AKIA/);
      }
    });

    it('names the line of a file that is not YAML without quoting it', async () => {
      const r = await runCapped(['train', 'copied.yaml'], { cwd: project });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /copied\.yaml:2: /);
      assert.doesNotMatch(r.stderr + r.stdout, /aws_secret_access_key|EXAMPLEKEY|AKIA/);
    });
  });
});
