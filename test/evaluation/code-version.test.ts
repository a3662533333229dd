/** codeVersion: a content hash of code folders that ignores caches and hidden files. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createEvaluationActivities, type EvaluationActivities } from '../../activities/evaluation';
import { FilesystemBlobStore } from '../../activities/storage';
import { activityEnv } from '../registry/activity-env';

function codeFolder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-code-'));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const made: string[] = [];
const code = { 'train.py': 'print("train")\n', 'features.py': 'COLUMNS = []\n', 'lib/util.py': 'X = 1\n' };

describe('codeVersion activity', function () {
  let acts: EvaluationActivities;
  const env = activityEnv();

  before(function () {
    const root = codeFolder({});
    acts = createEvaluationActivities({ store: new FilesystemBlobStore(root) });
  });
  after(function () {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same version for the same files in different places', async function () {
    const a = await env.run(acts.codeVersion, { dirs: [codeFolder(code)] });
    const b = await env.run(acts.codeVersion, { dirs: [codeFolder(code)] });
    assert.match(a.version, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(a, b);
    assert.equal(a.files, 3);
  });

  it('changes when one byte of one file changes, or a file is renamed', async function () {
    const base = await env.run(acts.codeVersion, { dirs: [codeFolder(code)] });
    const changed = await env.run(acts.codeVersion, { dirs: [codeFolder({ ...code, 'lib/util.py': 'X = 2\n' })] });
    assert.notEqual(changed.version, base.version);
    const { 'lib/util.py': util, ...rest } = code;
    const renamed = await env.run(acts.codeVersion, { dirs: [codeFolder({ ...rest, 'lib/utils.py': util })] });
    assert.notEqual(renamed.version, base.version);
  });

  it('ignores byte code, caches, checkpoints, VCS folders and hidden files', async function () {
    const base = await env.run(acts.codeVersion, { dirs: [codeFolder(code)] });
    const noisy = codeFolder({
      ...code,
      'train.pyc': 'x',
      '__pycache__/train.cpython-312.pyc': 'x',
      'lib/__pycache__/util.cpython-312.pyc': 'x',
      '.ipynb_checkpoints/nb.ipynb': '{}',
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.env': 'SECRET=1\n',
    });
    assert.deepEqual(await env.run(acts.codeVersion, { dirs: [noisy] }), base);
  });

  it('covers several folders in the order given', async function () {
    const train = codeFolder({ 'train.py': 'a\n' });
    const evaluate = codeFolder({ 'evaluate.py': 'b\n' });
    const both = await env.run(acts.codeVersion, { dirs: [train, evaluate] });
    assert.equal(both.files, 2);
    assert.deepEqual(await env.run(acts.codeVersion, { dirs: [codeFolder({ 'train.py': 'a\n' }), evaluate] }), both);
    assert.notEqual((await env.run(acts.codeVersion, { dirs: [evaluate, train] })).version, both.version);
  });

  it('fails non-retryably naming a folder that does not exist', async function () {
    const missing = path.join(os.tmpdir(), 'mlops-no-such-code-folder');
    await assert.rejects(env.run(acts.codeVersion, { dirs: [codeFolder(code), missing] }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'InvalidArgument');
      assert.equal(error.nonRetryable, true);
      assert.equal(error.message, `dirs[1]: ${missing} is not a folder`);
      return true;
    });
  });
});
