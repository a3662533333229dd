/** `snapshotDataset` on both stores: content-addressed ids, dedup, the stat cache, lineage, resume. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { datasetKeys, readManifest, snapshotDataset, type SnapshotHeartbeat } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { backends, bytesOf, datasetFolder, keysUnder, tempDir } from './helpers';

for (const backend of backends) {
  describe(`snapshotDataset on ${backend.name}`, function () {
    let store: BlobStore;
    let cacheDir: string;

    beforeEach(function () {
      store = backend.make();
      cacheDir = tempDir('cache-');
    });

    const files = () => ({
      'train.csv': 'id,tenure,plan\n1,5,basic\n2,7,pro\n',
      'images/a.bin': bytesOf(200_000, 1),
      'images/b.bin': bytesOf(50_000, 2),
      'README.md': '# churn\n',
    });

    it('gives the same content the same id, uploads nothing the second time and keeps the manifest as it was', async function () {
      const source = datasetFolder(files());
      const first = await snapshotDataset(store, { dataset: 'churn', source, description: 'v1' }, { cacheDir });
      assert.equal(first.created, true);
      assert.equal(first.uploadedFiles, 4);
      const manifest = await readManifest(store, 'churn', first.id);
      const blobs = await keysUnder(store, datasetKeys.blobs('churn'));
      assert.equal(blobs.length, 4);

      // Same bytes in another folder (so no stat cache applies): same id, nothing uploaded.
      const copy = datasetFolder(files());
      const second = await snapshotDataset(store, { dataset: 'churn', source: copy }, { cacheDir });
      assert.equal(second.id, first.id);
      assert.equal(second.created, false);
      assert.equal(second.uploadedFiles, 0);
      assert.equal(second.cachedDigests, 0);
      assert.deepEqual(await keysUnder(store, datasetKeys.blobs('churn')), blobs);
      assert.deepEqual(await readManifest(store, 'churn', first.id), manifest, 'the manifest is immutable');
      assert.equal(manifest.description, 'v1');
      assert.equal(manifest.fileCount, 4);
      assert.equal(manifest.totalBytes, sum(Object.values(files()).map((content) => Buffer.byteLength(content))));
      assert.deepEqual(
        manifest.files.map((f) => f.path),
        ['README.md', 'images/a.bin', 'images/b.bin', 'train.csv'],
      );
    });

    it('uploads only the body of the one file that changed and records the previous snapshot as parent', async function () {
      const source = datasetFolder(files());
      const first = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      const changed = bytesOf(60_000, 3);
      fs.writeFileSync(path.join(source, 'images', 'b.bin'), changed);
      const second = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      assert.notEqual(second.id, first.id);
      assert.equal(second.uploadedFiles, 1);
      assert.equal(second.uploadedBytes, changed.length);
      assert.equal(second.parent, first.id);
      assert.equal((await keysUnder(store, datasetKeys.blobs('churn'))).length, 5);
      const latest = JSON.parse((await store.getBytes(datasetKeys.latest('churn'))).toString());
      assert.equal(latest.id, second.id);
    });

    it('hashes nothing when nothing changed, and only the file whose mtime was touched', async function () {
      const source = datasetFolder(files());
      const first = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      assert.equal(first.cachedDigests, 0);
      const again = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      assert.equal(again.cachedDigests, again.fileCount);
      assert.equal(again.id, first.id);

      const touched = new Date(Date.now() - 1800_000);
      fs.utimesSync(path.join(source, 'train.csv'), touched, touched);
      const afterTouch = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      assert.equal(afterTouch.cachedDigests, afterTouch.fileCount - 1, 'only the touched file is hashed');
      assert.equal(afterTouch.id, first.id);
      assert.equal(afterTouch.uploadedFiles, 0);
    });

    it('tolerates a corrupt stat cache by hashing everything again', async function () {
      const source = datasetFolder(files());
      await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      for (const file of fs.readdirSync(cacheDir, { recursive: true, withFileTypes: true })) {
        if (file.isFile()) fs.writeFileSync(path.join(file.parentPath, file.name), '{"version":1,"entries":[[');
      }
      const again = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      assert.equal(again.cachedDigests, 0);
      assert.equal(again.created, false);
    });

    it('resumes after a worker restart: the retry hashes and uploads only what the first attempt had not done', async function () {
      const many: Record<string, Buffer> = {};
      for (let i = 0; i < 40; i++) many[`part-${String(i).padStart(2, '0')}.bin`] = bytesOf(20_000, 100 + i);
      const source = datasetFolder(many);
      let last: SnapshotHeartbeat | undefined;
      const crash = new Error('worker killed');
      await assert.rejects(
        snapshotDataset(
          store,
          { dataset: 'parts', source },
          {
            cacheDir,
            progressIntervalMs: 0,
            onProgress: (beat) => {
              last = beat;
              if (beat.filesDone >= 10) throw crash;
            },
          },
        ),
        (error) => error === crash,
      );
      assert.ok(last && last.resume.storedDigests.length >= 10, 'the heartbeat carries the stored digests');
      const storedByFirst = (await keysUnder(store, datasetKeys.blobs('parts'))).length;
      assert.ok(storedByFirst >= 10 && storedByFirst < 40, `first attempt stored ${storedByFirst}`);
      assert.deepEqual(await keysUnder(store, datasetKeys.snapshots('parts')), [], 'no manifest yet');

      const heads = countHeads(store);
      const retry = await snapshotDataset(
        heads.store,
        { dataset: 'parts', source },
        { cacheDir, resume: last!.resume },
      );
      assert.equal(retry.uploadedFiles, 40 - storedByFirst);
      assert.ok(retry.cachedDigests >= 10, `digests reused from the flushed stat cache: ${retry.cachedDigests}`);
      assert.ok(heads.blobHeads() <= 40 - last!.resume.storedDigests.length, `asked about ${heads.blobHeads()} blobs`);
      assert.equal((await keysUnder(store, datasetKeys.blobs('parts'))).length, 40);
    });
  });
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Wraps a store to count the requests about blobs: `head`s, and puts into its write batches. */
function countHeads(inner: BlobStore): { store: BlobStore; blobHeads: () => number } {
  let count = 0;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'openBatch' && typeof value === 'function') {
        return () => {
          const batch = (value as NonNullable<BlobStore['openBatch']>).call(target);
          return Object.assign(Object.create(batch) as typeof batch, {
            putIfAbsent: (...args: Parameters<typeof batch.putIfAbsent>) => {
              count++;
              return batch.putIfAbsent(...args);
            },
          });
        };
      }
      if (property !== 'head' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return (key: string) => {
        if (key.includes('/blobs/')) count++;
        return (value as BlobStore['head']).call(target, key);
      };
    },
  });
  return { store, blobHeads: () => count };
}
