/** Bad input to `snapshotDataset`: each a clear error naming the file or folder, and nothing written that names a snapshot. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { datasetKeys, snapshotDataset } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { backends, datasetFolder, keysUnder, rejectsWithType, tempDir } from './helpers';

for (const backend of backends) {
  describe(`snapshotDataset refusing bad input on ${backend.name}`, function () {
    let store: BlobStore;

    beforeEach(function () {
      store = backend.make();
    });

    /** Asserts the dataset has no manifest, no profile and no ref. */
    async function assertNoSnapshot(dataset: string) {
      assert.deepEqual(await keysUnder(store, datasetKeys.snapshots(dataset)), []);
      assert.deepEqual(await keysUnder(store, `datasets/${dataset}/profiles/`), []);
      assert.equal(await store.head(datasetKeys.latest(dataset)), undefined);
    }

    it('names a missing folder', async function () {
      const missing = path.join(tempDir(), 'nope');
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: missing }),
        'DatasetSourceInvalid',
        /source folder .*nope does not exist/,
      );
      await assertNoSnapshot('churn');
    });

    it('refuses an empty folder', async function () {
      const empty = tempDir('empty-');
      fs.mkdirSync(path.join(empty, 'only-folders'));
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: pathToFileURL(empty).href }),
        'DatasetSourceInvalid',
        /has no files/,
      );
    });

    it('names the file and line of a ragged CSV and writes no manifest and no ref', async function () {
      const source = datasetFolder({ 'ok.txt': 'fine', 'data/bad.csv': 'a,b\n1,2\n3\n' });
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetInvalid',
        /data\/bad\.csv line 3: 1 field, but the header has 2/,
      );
      await assertNoSnapshot('churn');
    });

    it('refuses a symlink that points outside the root, naming it', async function () {
      const outside = datasetFolder({ 'secret.txt': 'do not take me' });
      const source = datasetFolder({ 'ok.txt': 'fine' });
      fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(source, 'leak.txt'));
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetSourceInvalid',
        /leak\.txt in .* is a symlink to .*secret\.txt, outside the source folder/,
      );
      await assertNoSnapshot('churn');
    });

    it('follows a symlink that stays inside the root, and refuses a broken one', async function () {
      const source = datasetFolder({ 'data/real.txt': 'real' });
      fs.symlinkSync('data/real.txt', path.join(source, 'alias.txt'));
      const result = await snapshotDataset(store, { dataset: 'churn', source });
      assert.equal(result.fileCount, 2);
      fs.symlinkSync('nowhere.txt', path.join(source, 'broken.txt'));
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetSourceInvalid',
        /broken\.txt in .* is a broken symlink/,
      );
    });

    it('names an unreadable file', async function () {
      const source = datasetFolder({ 'locked.bin': 'x', 'fine.txt': 'y' });
      fs.chmodSync(path.join(source, 'locked.bin'), 0o000);
      if (process.getuid?.() !== 0) {
        await rejectsWithType(
          snapshotDataset(store, { dataset: 'churn', source }),
          'DatasetSourceInvalid',
          /cannot read locked\.bin .*permission denied/,
        );
        return;
      }
      // root reads everything: run the snapshot as the unprivileged user `nobody` instead
      this.timeout(30_000);
      const storeRoot = tempDir('store-');
      for (const dir of [source, storeRoot]) fs.chmodSync(dir, 0o777);
      const outcome = runAsNobody(source, storeRoot);
      assert.equal(outcome.ok, false, JSON.stringify(outcome));
      assert.equal(outcome.type, 'DatasetSourceInvalid');
      assert.match(outcome.message ?? '', /cannot read locked\.bin .*permission denied/);
      for (const written of ['snapshots', 'profiles', 'refs']) {
        assert.equal(
          fs.existsSync(path.join(storeRoot, 'datasets', 'churn', written)),
          false,
          `${written}/ was written`,
        );
      }
    });

    it('names the field of a bad dataset name or source', async function () {
      const source = datasetFolder({ 'ok.txt': 'fine' });
      for (const dataset of ['Churn', '-churn', '', 'a/b', 'x'.repeat(64)]) {
        await rejectsWithType(snapshotDataset(store, { dataset, source }), 'InvalidInput', /^dataset: must be/);
      }
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: 'relative/folder' }),
        'InvalidInput',
        /^source: must be an absolute folder path/,
      );
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: 's3://bucket/prefix' }),
        'InvalidInput',
        /no store opener/,
      );
    });
  });
}

/** Runs fixtures/snapshot-as-user.ts as uid/gid 65534 (nobody) and returns what it printed. */
function runAsNobody(source: string, storeRoot: string): { ok: boolean; type?: string; message?: string } {
  const script = path.join(__dirname, 'fixtures', 'snapshot-as-user.ts');
  const out = execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), script, source, storeRoot], {
    uid: 65534,
    gid: 65534,
    env: { ...process.env, HOME: os.tmpdir() },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { ok: boolean; type?: string; message?: string };
}
