/** `diffSnapshots` and the read helpers on both stores. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { datasetKeys, diffSnapshots, listSnapshots, resolveSnapshotId, snapshotDataset } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { backends, datasetFolder, rejectsWithType, writeTree } from './helpers';

for (const backend of backends) {
  describe(`diffSnapshots and snapshot lookup on ${backend.name}`, function () {
    let store: BlobStore;

    beforeEach(function () {
      store = backend.make();
    });

    it('shows a changed file with its new row count, an added and a removed file', async function () {
      const source = datasetFolder({
        'train.csv': 'id,tenure\n1,5\n2,7\n',
        'old.txt': 'bye',
        'same.txt': 'same',
      });
      const a = await snapshotDataset(store, { dataset: 'churn', source, description: 'first' });
      fs.rmSync(path.join(source, 'old.txt'));
      writeTree(source, { 'train.csv': 'id,tenure,plan\n1,5,x\n2,7,y\n3,9,z\n', 'new.txt': 'hello' });
      const b = await snapshotDataset(store, { dataset: 'churn', source });

      const diff = await diffSnapshots(store, { dataset: 'churn', a: a.id.slice(0, 8), b: 'latest' });
      assert.deepEqual([diff.a, diff.b], [a.id, b.id]);
      assert.deepEqual(
        diff.added.map((f) => f.path),
        ['new.txt'],
      );
      assert.deepEqual(
        diff.removed.map((f) => f.path),
        ['old.txt'],
      );
      assert.deepEqual(
        diff.changed.map((c) => c.path),
        ['train.csv'],
      );
      assert.equal(diff.unchangedCount, 1);
      assert.deepEqual(diff.profileChanges, [
        { path: 'train.csv', rows: { a: 2, b: 3 }, addedColumns: ['plan'], removedColumns: [], typeChanges: [] },
      ]);

      const list = await listSnapshots(store, 'churn');
      assert.deepEqual(
        list.map((s) => [s.id, s.parent, s.description]),
        [
          [b.id, a.id, undefined],
          [a.id, null, 'first'],
        ],
      );
    });

    it('resolves latest and unique prefixes, and names the dataset and prefix when none or several match', async function () {
      await rejectsWithType(
        resolveSnapshotId(store, 'churn', 'latest'),
        'SnapshotNotFound',
        /dataset churn has no snapshots yet/,
      );
      const real = await snapshotDataset(store, { dataset: 'churn', source: datasetFolder({ 'f.txt': 'x' }) });
      assert.equal(await resolveSnapshotId(store, 'churn', 'latest'), real.id);
      assert.equal(await resolveSnapshotId(store, 'churn', real.id.slice(0, 6).toUpperCase()), real.id);
      // Resolution reads keys only: two look-alike keys are enough to make a prefix ambiguous.
      const twins = ['abcdef0' + '1'.repeat(57), 'abcdef0' + '2'.repeat(57)];
      for (const id of twins) await store.put(datasetKeys.manifest('churn', id), '{}');
      await rejectsWithType(
        resolveSnapshotId(store, 'churn', 'abcdef0'),
        'SnapshotNotFound',
        /snapshot id prefix abcdef0 is ambiguous in dataset churn: it matches abcdef011111, abcdef022222/,
      );
      assert.equal(await resolveSnapshotId(store, 'churn', 'abcdef01'), twins[0]);
      await rejectsWithType(
        resolveSnapshotId(store, 'churn', 'abcdee0123'),
        'SnapshotNotFound',
        /dataset churn has no snapshot whose id starts with abcdee0123/,
      );
      await rejectsWithType(
        resolveSnapshotId(store, 'churn', 'abc'),
        'InvalidInput',
        /id: must be "latest" or 6 to 64 hex/,
      );
    });
  });
}
