/** Snapshots of a store prefix (`s3://bucket/prefix` on the run's MinIO), into both stores. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { materializeSnapshot, readProfile, snapshotDataset } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { testDeps, testS3Store } from '../support/worker';
import { backends, bytesOf, tempDir } from './helpers';

for (const backend of backends) {
  describe(`snapshotDataset of an s3:// source into ${backend.name}`, function () {
    let store: BlobStore;
    let source: BlobStore;

    beforeEach(async function () {
      store = backend.make();
      source = testS3Store();
      await source.put('train.csv', 'id,tenure\n1,5\n2,7\n3,\n');
      await source.put('raw/blob.bin', bytesOf(2 * 1024 * 1024, 9));
    });

    it('reads the objects under the prefix, caches digests by etag and restores them exactly', async function () {
      const { openStore } = testDeps();
      const options = { cacheDir: tempDir('cache-'), openStore };
      const first = await snapshotDataset(store, { dataset: 'remote', source: source.uri }, options);
      assert.equal(first.fileCount, 2);
      assert.equal(first.uploadedFiles, 2);
      const profile = await readProfile(store, 'remote', first.id);
      assert.equal(profile?.files[0]?.rows, 3);

      const again = await snapshotDataset(store, { dataset: 'remote', source: source.uri }, options);
      assert.deepEqual([again.id, again.cachedDigests, again.uploadedFiles], [first.id, 2, 0]);

      await source.put('train.csv', 'id,tenure\n1,5\n');
      const changed = await snapshotDataset(store, { dataset: 'remote', source: source.uri }, options);
      assert.deepEqual([changed.cachedDigests, changed.uploadedFiles, changed.parent], [1, 1, first.id]);

      const dir = tempDir('out-');
      await materializeSnapshot(store, { dataset: 'remote', id: first.id, dir });
      assert.deepEqual(fs.readFileSync(path.join(dir, 'raw', 'blob.bin')), bytesOf(2 * 1024 * 1024, 9));
    });
  });
}
