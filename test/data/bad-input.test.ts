/** Bad input to `snapshotDataset`: each a clear error naming the file or folder, and nothing written that names a snapshot. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
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
      if (process.getuid?.() === 0) this.skip(); // root reads everything
      const source = datasetFolder({ 'locked.bin': 'x' });
      fs.chmodSync(path.join(source, 'locked.bin'), 0o000);
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetSourceInvalid',
        /cannot read locked\.bin .*permission denied/,
      );
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
