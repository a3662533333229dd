/**
 * The failure catalogue (common/failures/): it lists every failure type the code raises and every
 * type recorded in the replayed histories, each entry says whether it is retried and when it is
 * thrown, and a catalogued failure leaves an activity retryable exactly when the catalogue says so.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { asActivity, toActivityFailure } from '../../activities/failures';
import { createRegistryActivities } from '../../activities/registry';
import { createBlobStore } from '../../activities/storage';
import { exitFor } from '../../client/exit-codes';
import {
  DataError,
  FAILURES,
  Failure,
  isFailureType,
  ModelNotFoundError,
  NotFoundError,
  SweepFailedError,
  toApplicationFailure,
  type FailureType,
} from '../../common/failures';
import { REPO_ROOT } from '../../lib/tools';

/** The TypeScript sources under `dir` (relative to the repository), with their text. */
function sources(dir: string): { file: string; text: string }[] {
  const root = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(root, f), 'utf8') }));
}

/** Every match of `pattern`'s first group in `texts`, with where it was found. */
function found(texts: { file: string; text: string }[], pattern: RegExp): { value: string; where: string }[] {
  return texts.flatMap(({ file, text }) =>
    [...text.matchAll(pattern)].map((m) => ({
      value: m[1]!,
      where: `${file}:${text.slice(0, m.index).split('\n').length}`,
    })),
  );
}

/** A failure of any catalogued type, for the tests that go through them all. */
class AnyFailure extends Failure {
  constructor(type: FailureType) {
    super(type, `a ${type}`, { details: { type } });
  }
}

const RAISING = [...sources('workflows'), ...sources('activities'), ...sources('worker')];
const CLASSES = sources('common/failures').filter((s) => !s.file.endsWith('catalogue.ts'));

describe('the failure catalogue', () => {
  it('says of each type whether it is retried, whose fault it is and when it is thrown, in one line', () => {
    for (const [type, info] of Object.entries(FAILURES)) {
      assert.equal(typeof info.retryable, 'boolean', type);
      assert.ok(info.fault === 'user' || info.fault === 'system', type);
      assert.ok(info.thrownWhen.length > 10 && !info.thrownWhen.includes('\n'), `${type}: ${info.thrownWhen}`);
    }
  });

  it("never retries the user's mistakes: the same input fails the same way", () => {
    const retried = Object.entries(FAILURES).filter(([, info]) => info.fault === 'user' && info.retryable);
    assert.deepEqual(retried, []);
  });

  it('leaves no failure type as a bare string in workflows, activities or the worker', () => {
    const bare = found(
      RAISING,
      /(ApplicationFailure\s*\.\s*(?:create|retryable|nonRetryable|fromError)\s*\(|new\s+ApplicationFailure\s*\()/g,
    );
    assert.deepEqual(
      bare.map((b) => b.where),
      [],
      'raise a failure through its class in common/failures/ (toApplicationFailure in workflow code)',
    );
  });

  it('lists every type the sources raise or test for', () => {
    const raised = [
      ...found(RAISING, /new\s+DataError\(\s*'(\w+)'/g),
      ...found(RAISING, /is(?:Data)?(?:Error|Failure)\([^,()]+,\s*'(\w+)'\)/g),
      ...found(CLASSES, /super\(\s*'(\w+)'/g),
      ...found(CLASSES, /^\s*\|?\s*'(\w+)'\s*(?:\||;)/gm),
    ];
    assert.ok(raised.length > 40, `the scan finds the types (${raised.length})`);
    const missing = raised.filter((r) => !isFailureType(r.value));
    assert.deepEqual(missing, [], 'every type raised is in common/failures/catalogue.ts');
  });

  it('has a class for every type it lists', () => {
    const raised = new Set(found(CLASSES, /'(\w+)'/g).map((r) => r.value));
    assert.deepEqual(
      Object.keys(FAILURES).filter((type) => !raised.has(type)),
      [],
    );
  });

  it('lists every failure type recorded in the replayed histories', () => {
    const histories = path.join(REPO_ROOT, 'test/replay/histories');
    const recorded = new Set<string>();
    for (const file of fs.readdirSync(histories).filter((f) => f.endsWith('.json'))) {
      const text = fs.readFileSync(path.join(histories, file), 'utf8');
      for (const m of text.matchAll(/"applicationFailureInfo":\s*\{\s*"type":\s*"(\w+)"/g)) recorded.add(m[1]!);
    }
    // `Error` is the SDK's type for a plain Error: the stub activities of the tests that recorded them
    recorded.delete('Error');
    assert.ok(recorded.size > 0, 'the histories record failures');
    assert.deepEqual(
      [...recorded].filter((type) => !isFailureType(type)),
      [],
    );
  });
});

describe('a catalogued failure', () => {
  it('leaves an activity as the ApplicationFailure of its type, retryable only when the catalogue says so', () => {
    for (const type of Object.keys(FAILURES) as FailureType[]) {
      const failure = new AnyFailure(type);
      const left = toActivityFailure(failure);
      assert.ok(left instanceof ApplicationFailure, type);
      assert.equal(left.type, type);
      assert.equal(left.nonRetryable, !FAILURES[type].retryable, type);
      assert.equal(left.message, `a ${type}`);
      assert.deepEqual(left.details, [{ type }]);
      assert.equal(left.stack, failure.stack, 'the stack of where it was thrown');
    }
  });

  it('keeps its cause, and an activity leaves other errors as they are for Temporal to retry', () => {
    const cause = new Error('EACCES');
    const left = toActivityFailure(new DataError('DatasetSourceInvalid', 'cannot read a.csv', undefined, { cause }));
    assert.ok(left instanceof ApplicationFailure);
    assert.equal(left.cause, cause);
    assert.equal(left.details, undefined, 'no details when it has none');
    const plain = new Error('socket hang up');
    assert.equal(toActivityFailure(plain), plain);
  });

  it('fails a real activity non-retryably when it is the user’s', async function () {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-failures-'));
    try {
      const acts = createRegistryActivities({ store: createBlobStore({ kind: 'file', root, uri: `file://${root}` }) });
      const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
      await assert.rejects(env.run(acts.getModelVersion, { model: 'churn', version: 1 }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure, String(error));
        assert.equal(error.type, 'ModelNotFound');
        assert.equal(error.nonRetryable, true);
        return true;
      });
      const lost = asActivity(() => Promise.reject(new NotFoundError('models/churn/state.json')));
      await assert.rejects(lost, (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'NotFoundError', 'the type a store error always left with');
        assert.equal(error.nonRetryable, false);
        return true;
      });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails a workflow as a non-retryable ApplicationFailure with its details', () => {
    const failed = toApplicationFailure(new SweepFailedError('no trial of 4 succeeded', { reportUri: 'file:///r' }));
    assert.equal(failed.type, 'SweepFailed');
    assert.equal(failed.nonRetryable, true);
    assert.deepEqual(failed.details, [{ reportUri: 'file:///r' }]);
    assert.equal(failed.cause, undefined);
  });

  it('is not a UserError: the CLI picks its exit code by type', () => {
    assert.deepEqual(exitFor(new ModelNotFoundError('churn')), { code: 1, expected: true });
    assert.deepEqual(exitFor(new DataError('InvalidInput', 'dataset: empty')), { code: 2, expected: true });
    assert.deepEqual(exitFor(new NotFoundError('a/b')), { code: 1, expected: false });
  });
});
