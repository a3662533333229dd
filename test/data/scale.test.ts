/** Snapshots past one manifest chunk, and the limit on files per snapshot, on both stores. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  datasetKeys,
  diffSnapshots,
  listSnapshots,
  materializeSnapshot,
  openManifest,
  readManifest,
  snapshotDataset,
} from '../../activities/data';
import { snapshotIdOf } from '../../activities/data/canonical';
import type { BlobStore } from '../../activities/storage/types';
import { backends, datasetFolder, keysUnder, rejectsWithType, tempDir, writeTree } from './helpers';

/** `count` small files in three folders, each body different. */
function manyFiles(count: number, revision = 0): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`part-${i % 3}/file-${String(i).padStart(3, '0')}.txt`] = `${i} r${revision}\n`;
  return files;
}

const CHUNK = 10;

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

for (const backend of backends) {
  describe(`snapshots in manifest chunks on ${backend.name}`, function () {
    let store: BlobStore;

    beforeEach(function () {
      store = backend.make();
    });

    it('gives a snapshot of files spread over several windows the id of its file list, computed apart', async function () {
      this.timeout(180_000);
      const files = manyFiles(4_500); // more than one of the snapshot's windows of files
      const source = datasetFolder(files);
      const listed = Object.entries(files)
        .map(([rel, body]) => ({ path: rel, sha256: sha256Of(body), size: Buffer.byteLength(body) }))
        .sort((a, b) => (a.path < b.path ? -1 : 1));
      const result = await snapshotDataset(store, { dataset: 'windows', source }, { manifestChunkEntries: 1000 });
      assert.equal(result.id, snapshotIdOf(listed));
      assert.equal(result.fileCount, 4_500);
      assert.deepEqual((await readManifest(store, 'windows', result.id)).files, listed);
    });

    it('writes a 25-file snapshot as a header and three chunks that read back as the same entries and id', async function () {
      const source = datasetFolder(manyFiles(25));
      const chunked = await snapshotDataset(store, { dataset: 'many', source }, { manifestChunkEntries: CHUNK });
      const header = JSON.parse((await store.getBytes(chunked.manifestKey)).toString('utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(header.files, undefined, 'no file list in the header');
      assert.deepEqual(
        (header.chunks as { count: number }[]).map((c) => c.count),
        [10, 10, 5],
      );
      assert.equal((await keysUnder(store, 'datasets/many/manifest-chunks/')).length, 3);

      const manifest = await readManifest(store, 'many', chunked.id);
      assert.equal(manifest.files.length, 25);
      assert.deepEqual(
        manifest.files.map((f) => f.path),
        [...manifest.files.map((f) => f.path)].sort(),
      );
      assert.equal(snapshotIdOf(manifest.files), chunked.id, 'the id is the digest of the file list');

      // the same files as one document (another dataset, default chunk size) have the same id
      const single = await snapshotDataset(store, { dataset: 'single', source });
      assert.equal(single.id, chunked.id);
      assert.deepEqual((await readManifest(store, 'single', single.id)).files, manifest.files);
      const [summary] = await listSnapshots(store, 'many');
      assert.equal(summary?.fileCount, 25);
    });

    it('diffs and materializes across a chunked and a single-document snapshot', async function () {
      const source = datasetFolder(manyFiles(25));
      const small = await snapshotDataset(store, { dataset: 'mix', source });
      writeTree(source, { 'part-0/file-000.txt': 'changed\n', 'zz-new.txt': 'new\n' });
      fs.rmSync(path.join(source, 'part-1', 'file-001.txt'));
      const big = await snapshotDataset(store, { dataset: 'mix', source }, { manifestChunkEntries: CHUNK });
      const header = JSON.parse((await store.getBytes(big.manifestKey)).toString('utf8')) as { chunks?: unknown[] };
      assert.equal(header.chunks?.length, 3, 'the second snapshot is chunked');

      const diff = await diffSnapshots(store, { dataset: 'mix', a: small.id, b: big.id });
      assert.deepEqual(
        diff.added.map((f) => f.path),
        ['zz-new.txt'],
      );
      assert.deepEqual(
        diff.removed.map((f) => f.path),
        ['part-1/file-001.txt'],
      );
      assert.deepEqual(
        diff.changed.map((c) => c.path),
        ['part-0/file-000.txt'],
      );
      assert.equal(diff.unchangedCount, 23);
      const back = await diffSnapshots(store, { dataset: 'mix', a: big.id, b: small.id }, { limit: 0 });
      assert.deepEqual([back.addedCount, back.removedCount, back.changedCount], [1, 1, 1]);
      assert.deepEqual([back.added, back.truncated], [[], true], 'a limit keeps counts, cuts lists');

      const dir = tempDir('restore-');
      const restored = await materializeSnapshot(store, { dataset: 'mix', id: big.id, dir });
      assert.equal(restored.restoredFiles, 25);
      assert.equal(fs.readFileSync(path.join(dir, 'part-0', 'file-000.txt'), 'utf8'), 'changed\n');
      assert.equal(fs.readFileSync(path.join(dir, 'zz-new.txt'), 'utf8'), 'new\n');
      assert.equal(fs.existsSync(path.join(dir, 'part-1', 'file-001.txt')), false);
    });

    it('reports a tampered chunk as SnapshotCorrupt and materializes nothing from it', async function () {
      const source = datasetFolder(manyFiles(25));
      const snap = await snapshotDataset(store, { dataset: 'bad', source }, { manifestChunkEntries: CHUNK });
      const [chunkKey] = await keysUnder(store, 'datasets/bad/manifest-chunks/');
      const text = (await store.getBytes(chunkKey!)).toString('utf8');
      await store.put(chunkKey!, text.replace(/,(\d+)\]/, ',999]'));
      await rejectsWithType(readManifest(store, 'bad', snap.id), 'SnapshotCorrupt', /does not match its digest/);
      const dir = tempDir('restore-');
      await rejectsWithType(materializeSnapshot(store, { dataset: 'bad', id: snap.id, dir }), 'SnapshotCorrupt');
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
    });

    it('reports a header naming a chunk of other files as SnapshotCorrupt once its entries are read', async function () {
      const a = await snapshotDataset(
        store,
        { dataset: 'swap', source: datasetFolder(manyFiles(25)) },
        { manifestChunkEntries: CHUNK },
      );
      const b = await snapshotDataset(
        store,
        { dataset: 'swap', source: datasetFolder(manyFiles(25, 1)) },
        { manifestChunkEntries: CHUNK },
      );
      const headerA = JSON.parse((await store.getBytes(a.manifestKey)).toString('utf8')) as {
        chunks: { sha256: string }[];
      };
      const headerB = JSON.parse((await store.getBytes(b.manifestKey)).toString('utf8')) as {
        chunks: { sha256: string }[];
      };
      headerA.chunks[2] = headerB.chunks[2]!;
      await store.put(datasetKeys.manifest('swap', a.id), JSON.stringify(headerA));
      const opened = await openManifest(store, 'swap', a.id);
      await rejectsWithType(
        (async () => {
          for await (const _batch of opened.batches());
        })(),
        'SnapshotCorrupt',
        /does not hash to its id/,
      );
    });
  });
}

describe('the limit on files per snapshot', function () {
  it('refuses a folder with more files than the limit before writing anything, naming limit, setting and count', async function () {
    const store = backends[0]!.make();
    const source = datasetFolder(manyFiles(12));
    await rejectsWithType(
      snapshotDataset(store, { dataset: 'big', source }, { maxFiles: 10 }),
      'SnapshotTooLarge',
      /holds 12 files, more than the limit of 10 files per snapshot \(MLOPS_MAX_SNAPSHOT_FILES\)/,
    );
    assert.deepEqual(await keysUnder(store, ''), [], 'nothing in the store');
    const exact = await snapshotDataset(store, { dataset: 'big', source }, { maxFiles: 12 });
    assert.equal(exact.fileCount, 12, 'a folder at the limit is snapshotted');
  });
});
