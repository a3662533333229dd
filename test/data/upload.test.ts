/** Data uploaded from the CLI's machine (`uploadDataset`) and snapshotted from the store as `upload://<hex>`. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDataActivities, datasetKeys, readManifest, readProfile, snapshotDataset } from '../../activities/data';
import { uploadDigestOf, uploadKey } from '../../activities/data/upload-manifest';
import type { BlobStore } from '../../activities/storage/types';
import { loadPipelineSpec } from '../../client/pipeline-spec';
import { uploadDataset, uploadSpecDataset } from '../../client/upload-dataset';
import { silentLogger } from '../support/loggers';
import { testDeps } from '../support/worker';
import { backends, bytesOf, datasetFolder, keysUnder, rejectsWithType, tempDir } from './helpers';

function csv(rows: number): string {
  const lines = ['customer_id,tenure,plan,churned'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 7) % 60},${i % 3 === 0 ? 'pro' : 'basic'},${i % 4 === 0}`);
  return `${lines.join('\n')}\n`;
}

const files = () => ({
  'train.csv': csv(40),
  'holdout/test.csv': csv(12),
  'images/a.bin': bytesOf(120_000, 1),
  'README.md': '# churn\n',
});

/** `store`, with every blob put counted (one by one, or into a write batch); `onBlobPut` runs after each one. */
function countingBlobPuts(store: BlobStore, onBlobPut: (count: number) => void): BlobStore {
  let count = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'openBatch' && target.openBatch) {
        return () => {
          const batch = target.openBatch!();
          return Object.assign(Object.create(batch) as typeof batch, {
            putIfAbsent: async (...args: Parameters<typeof batch.putIfAbsent>) => {
              const result = await batch.putIfAbsent(...args);
              onBlobPut(++count);
              return result;
            },
          });
        };
      }
      if (property !== 'putIfAbsent') return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<BlobStore['putIfAbsent']>) => {
        const result = await target.putIfAbsent(...args);
        if (args[0].includes('/blobs/')) onBlobPut(++count);
        return result;
      };
    },
  });
}

for (const backend of backends) {
  describe(`data uploads on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: BlobStore;

    beforeEach(function () {
      store = backend.make();
    });

    it('records from an upload the snapshot id, files and profile a snapshot of the folder itself has, storing nothing more', async function () {
      const folder = datasetFolder(files());
      const upload = await uploadDataset(store, folder, { dataset: 'churn', cacheDir: tempDir('cli-cache-') });
      assert.match(upload.source, /^upload:\/\/[0-9a-f]{64}$/);
      assert.equal(upload.files, 4);
      assert.equal(upload.uploadedFiles, 4);
      const blobs = await keysUnder(store, datasetKeys.blobs('churn'));

      // the worker may read no folder at all: the snapshot comes from the store
      const workerCache = tempDir('worker-cache-');
      const recorded = await snapshotDataset(
        store,
        { dataset: 'churn', source: upload.source },
        { cacheDir: workerCache, sourceRoots: [] },
      );
      assert.equal(recorded.created, true);
      assert.equal(recorded.uploadedFiles, 0, 'the blobs were uploaded by the client');
      assert.deepEqual(await keysUnder(store, datasetKeys.blobs('churn')), blobs);
      const again = await snapshotDataset(
        store,
        { dataset: 'churn', source: upload.source },
        { cacheDir: workerCache, sourceRoots: [] },
      );
      assert.deepEqual([again.id, again.created, again.cachedDigests], [recorded.id, false, 4]);
      assert.deepEqual(fs.readdirSync(workerCache), [], 'the worker keeps no stat cache for an upload');

      const direct = backend.make();
      const fromFolder = await snapshotDataset(direct, { dataset: 'churn', source: folder }, {});
      assert.equal(recorded.id, fromFolder.id, 'the snapshot id depends on the content only');
      const manifest = await readManifest(store, 'churn', recorded.id);
      assert.equal(manifest.source, upload.source);
      assert.deepEqual(manifest.files, (await readManifest(direct, 'churn', fromFolder.id)).files);
      const profile = await readProfile(store, 'churn', recorded.id);
      assert.ok(profile, 'the CSV files are profiled');
      assert.deepEqual(profile, await readProfile(direct, 'churn', fromFolder.id));
    });

    it('uploads nothing the second time, from the same folder or a copy of it, and names the same upload', async function () {
      const cacheDir = tempDir('cli-cache-');
      const folder = datasetFolder(files());
      const first = await uploadDataset(store, folder, { dataset: 'churn', cacheDir });
      const again = await uploadDataset(store, folder, { dataset: 'churn', cacheDir });
      assert.deepEqual(
        [again.source, again.uploadedFiles, again.uploadedBytes],
        [first.source, 0, 0],
        'unchanged folder: nothing sent',
      );
      const copy = await uploadDataset(store, datasetFolder(files()), { dataset: 'churn' });
      assert.deepEqual([copy.source, copy.uploadedFiles, copy.uploadedBytes], [first.source, 0, 0]);

      fs.writeFileSync(path.join(folder, 'train.csv'), csv(41));
      const changed = await uploadDataset(store, folder, { dataset: 'churn', cacheDir });
      assert.notEqual(changed.source, first.source);
      assert.equal(changed.uploadedFiles, 1, 'only the changed file');
      assert.equal(changed.uploadedBytes, Buffer.byteLength(csv(41)));
    });

    it('resumes an interrupted upload: the second attempt uploads only the blobs the first did not store', async function () {
      const many: Record<string, Buffer> = {};
      for (let i = 0; i < 24; i++) many[`part-${i % 3}/file-${String(i).padStart(2, '0')}.bin`] = bytesOf(3000, i + 1);
      const folder = datasetFolder(many);
      const cacheDir = tempDir('cli-cache-');
      const abort = new AbortController();
      const interrupted = countingBlobPuts(store, (count) => count === 5 && abort.abort(new Error('interrupted')));
      await assert.rejects(
        uploadDataset(interrupted, folder, { dataset: 'many', cacheDir, concurrency: 2, signal: abort.signal }),
        /interrupted/,
      );
      const storedFirst = (await keysUnder(store, datasetKeys.blobs('many'))).length;
      assert.ok(storedFirst >= 5 && storedFirst < 24, `stored ${storedFirst} of 24 blobs before the interruption`);
      assert.deepEqual(await keysUnder(store, 'uploads/'), [], 'no upload manifest for an unfinished upload');

      const resumed = await uploadDataset(store, folder, { dataset: 'many', cacheDir, concurrency: 2 });
      assert.equal(resumed.uploadedFiles, 24 - storedFirst);
      assert.equal(resumed.uploadedBytes, (24 - storedFirst) * 3000);
      assert.equal((await keysUnder(store, datasetKeys.blobs('many'))).length, 24);
      assert.deepEqual(await keysUnder(store, 'uploads/'), [uploadKey(resumed.source.slice('upload://'.length))]);
    });

    it('refuses, naming the upload, a snapshot of an upload whose blob or manifest is gone', async function () {
      const folder = datasetFolder(files());
      const upload = await uploadDataset(store, folder, { dataset: 'churn' });
      const manifest = JSON.parse((await store.getBytes(uploadKey(upload.source.slice(9)))).toString()) as {
        files: { path: string; sha256: string }[];
      };
      const lost = manifest.files.find((file) => file.path === 'train.csv')!;
      await store.delete(datasetKeys.blob('churn', lost.sha256));
      const hex = upload.source.slice('upload://'.length);
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: upload.source }, {}),
        'DatasetSourceInvalid',
        new RegExp(`upload://${hex}: the blob of train\\.csv .* is missing from the store`),
      );
      assert.deepEqual(await keysUnder(store, datasetKeys.snapshots('churn')), [], 'no snapshot recorded');

      const unknown = `upload://${'0'.repeat(64)}`;
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: unknown }, {}),
        'DatasetSourceInvalid',
        /upload:\/\/0{64}: the store has no upload manifest uploads\/0{64}\.json/,
      );
      const climbing = [{ path: '../outside.csv', sha256: lost.sha256, size: 10 }];
      const climbingHex = uploadDigestOf('churn', climbing);
      await store.put(
        uploadKey(climbingHex),
        JSON.stringify({ version: 1, dataset: 'churn', files: climbing, origin: { host: 'h', folder: '/f' } }),
      );
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: `upload://${climbingHex}` }, {}),
        'DatasetSourceInvalid',
        /is not an upload manifest/,
      );
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source: 'upload://not-hex' }, {}),
        'InvalidInput',
        /upload:\/\/<64 lowercase hex digits>/,
      );
    });
  });
}

describe('the snapshotDataset activity on an upload', function () {
  it('fails without retries, naming the upload, when a blob of it is gone', async function () {
    const deps = testDeps();
    const upload = await uploadDataset(deps.store, datasetFolder(files()), { dataset: 'churn' });
    for (const key of await keysUnder(deps.store, datasetKeys.blobs('churn'))) await deps.store.delete(key);
    const failure = await new MockActivityEnvironment(undefined, { logger: silentLogger })
      .run(createDataActivities(deps).snapshotDataset, { dataset: 'churn', source: upload.source })
      .catch((error: unknown) => error);
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'DatasetSourceInvalid');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, new RegExp(`${upload.source}: the blob of .* is missing from the store`));
  });
});

describe('uploadSpecDataset', function () {
  it('uploads a spec’s local dataset.source and gives back the spec reading upload://; a store URI stays as it is', async function () {
    const { store } = testDeps();
    const { spec } = loadPipelineSpec(path.join(__dirname, '..', '..', 'examples', 'churn', 'pipeline.yaml'));
    const folder = datasetFolder(files());
    const local = { ...spec, dataset: { ...spec.dataset, source: `file://${folder}`, workerPath: false } };
    const { spec: uploaded, upload } = await uploadSpecDataset(store, local);
    assert.ok(upload);
    assert.equal(uploaded.dataset.source, upload.source);
    assert.match(upload.source, /^upload:\/\/[0-9a-f]{64}$/);
    assert.deepEqual({ ...uploaded, dataset: local.dataset }, local, 'nothing else changes');
    const recorded = await snapshotDataset(store, { dataset: spec.dataset.name, source: upload.source });
    assert.equal(recorded.fileCount, 4);

    const remote = { ...spec, dataset: { ...spec.dataset, source: 's3://exports/churn' } };
    assert.deepEqual(await uploadSpecDataset(store, remote), { spec: remote });
  });
});
