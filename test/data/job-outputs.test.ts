/**
 * A job's output folder (its `outputUri`) as a snapshot source, on both stores: what a pipeline step's
 * output becomes, a content-addressed dataset snapshot (same content → same id, nothing re-uploaded).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { materializeSnapshot, snapshotDataset } from '../../activities/data';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { LocalProcessBackend, type TrainingJob } from '../../activities/training';
import { testDeps, testS3Store } from '../support/worker';
import { waitFor } from '../training/helpers';
import { tempDir } from './helpers';

/** The store as the worker configures it: a filesystem store's URI is `file://<root>`. */
const stores: { name: string; make: () => BlobStore }[] = [
  {
    name: 'the filesystem store',
    make: () => {
      const root = tempDir('job-store-');
      return new FilesystemBlobStore(root, { uri: `file://${root}` });
    },
  },
  {
    // such a root makes `file://<root>/…` no well-formed file URL: the store maps keys to paths itself
    name: 'a filesystem store whose folder name holds #, % and a space',
    make: () => {
      const root = path.join(tempDir('job-store-'), 'team #1 100% store');
      return new FilesystemBlobStore(root, { uri: `file://${root}` });
    },
  },
  { name: 'MinIO', make: () => testS3Store() },
];

const STEP = [
  'mkdir -p "$MLOPS_OUTPUT_DIR/part"',
  'printf "id,total\\n1,12\\n2,7\\n" > "$MLOPS_OUTPUT_DIR/features.csv"',
  'printf "north\\n" > "$MLOPS_OUTPUT_DIR/part/regions.txt"',
  'echo \'{"rows":2}\' > "$MLOPS_OUTPUT_DIR/metrics.json"',
  'echo built',
].join('; ');

for (const { name, make } of stores) {
  describe(`snapshotDataset of a job's outputUri on ${name}`, function () {
    this.timeout(30_000);
    let store: BlobStore;
    let backend: LocalProcessBackend;
    const codeDir = tempDir('job-code-');

    beforeEach(function () {
      store = make();
      backend = new LocalProcessBackend({ store, workRoot: tempDir('job-work-') });
    });

    async function runStep(run: string): Promise<string> {
      const job: TrainingJob = {
        name: 'features',
        command: ['/bin/sh', '-c', STEP],
        codeDir,
        params: {},
        outputPrefix: `experiments/forecast/${run}/steps/features`,
      };
      const { jobId } = await backend.submit(job, `k-${run}`);
      assert.equal((await waitFor(backend, jobId, ['succeeded', 'failed'])).state, 'succeeded');
      return (await backend.result(jobId)).outputUri;
    }

    it('snapshots exactly the output files; the same output of another run is the same snapshot, nothing re-uploaded', async function () {
      const { openStore } = testDeps(store);
      const options = { cacheDir: tempDir('job-cache-'), openStore };
      const first = await snapshotDataset(
        store,
        { dataset: 'forecast-features', source: await runStep('run-1') },
        options,
      );
      assert.equal(first.fileCount, 3);
      assert.equal(first.created, true);
      assert.equal(first.uploadedFiles, 3);

      const dir = tempDir('job-restored-');
      await materializeSnapshot(store, { dataset: 'forecast-features', id: first.id, dir });
      const listed = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      assert.deepEqual(listed.map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort(), [
        'features.csv',
        'metrics.json',
        path.join('part', 'regions.txt'),
      ]);
      assert.equal(fs.readFileSync(path.join(dir, 'features.csv'), 'utf8'), 'id,total\n1,12\n2,7\n');

      const second = await snapshotDataset(
        store,
        { dataset: 'forecast-features', source: await runStep('run-2') },
        options,
      );
      assert.equal(second.id, first.id);
      assert.equal(second.created, false);
      assert.equal(second.uploadedFiles, 0);
    });
  });
}
