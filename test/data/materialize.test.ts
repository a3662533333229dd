/** `materializeSnapshot` on both stores: exact round trips, tampered blobs, hostile manifests. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  datasetKeys,
  materializeSnapshot,
  readManifest,
  snapshotDataset,
  snapshotIdOf,
  type SnapshotManifest,
} from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { backends, bytesOf, datasetFolder, rejectsWithType, tempDir } from './helpers';

const FILES = {
  'train.csv': 'id,x\n1,2\n',
  'nested/deeper/weights.bin': bytesOf(3 * 1024 * 1024 + 17, 7),
  'nested/empty.txt': '',
  'ünïcode name.txt': 'ok',
};

/** Every file under `dir` (relative path → bytes). */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full).split(path.sep).join('/'), fs.readFileSync(full));
  }
  return out;
}

for (const backend of backends) {
  describe(`materializeSnapshot on ${backend.name}`, function () {
    let store: BlobStore;

    beforeEach(function () {
      store = backend.make();
    });

    it('restores every file byte for byte, creating folders, and reuses files already in place', async function () {
      const source = datasetFolder(FILES);
      const snapshot = await snapshotDataset(store, { dataset: 'churn', source });
      const dir = path.join(tempDir('out-'), 'restored');
      const result = await materializeSnapshot(store, { dataset: 'churn', id: snapshot.id.slice(0, 10), dir });
      assert.equal(result.restoredFiles, 4);
      assert.deepEqual(readTree(dir), readTree(source));

      const again = await materializeSnapshot(store, { dataset: 'churn', id: 'latest', dir });
      assert.deepEqual([again.restoredFiles, again.reusedFiles], [0, 4]);
    });

    it('fails with SnapshotCorrupt naming the file when a blob was tampered with, leaving no file for it', async function () {
      const source = datasetFolder(FILES);
      const snapshot = await snapshotDataset(store, { dataset: 'churn', source });
      const manifest = await readManifest(store, 'churn', snapshot.id);
      const weights = manifest.files.find((f) => f.path === 'nested/deeper/weights.bin')!;
      const tampered = bytesOf(weights.size, 8);
      await store.put(datasetKeys.blob('churn', weights.sha256), tampered);

      const dir = tempDir('out-');
      await rejectsWithType(
        materializeSnapshot(store, { dataset: 'churn', id: snapshot.id, dir }),
        'SnapshotCorrupt',
        /nested\/deeper\/weights\.bin: the stored body does not match/,
      );
      assert.equal(fs.existsSync(path.join(dir, 'nested', 'deeper', 'weights.bin')), false);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'nested', 'deeper')), [], 'no temp file left either');
    });

    it('refuses a manifest whose paths escape the target folder and writes nothing', async function () {
      const files = [
        { path: '../escaped.txt', sha256: 'a'.repeat(64), size: 1 },
        { path: 'ok.txt', sha256: 'b'.repeat(64), size: 1 },
      ];
      const id = snapshotIdOf(files);
      const manifest: SnapshotManifest = {
        id,
        dataset: 'evil',
        files,
        fileCount: 2,
        totalBytes: 2,
        createdAt: new Date().toISOString(),
        parent: null,
        source: '/nowhere',
      };
      await store.put(datasetKeys.manifest('evil', id), JSON.stringify(manifest));
      const dir = path.join(tempDir('out-'), 'target');
      await rejectsWithType(
        materializeSnapshot(store, { dataset: 'evil', id, dir }),
        'SnapshotCorrupt',
        /"\.\.\/escaped\.txt", which escapes/,
      );
      assert.equal(fs.existsSync(dir), false);
      assert.equal(fs.existsSync(path.join(dir, '..', 'escaped.txt')), false);
    });
  });
}
