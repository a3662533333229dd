/**
 * Bad dataset files and folders: `snapshotDataset` refuses what it can parse wrong (a ragged or
 * unterminated CSV, invalid UTF-8) with the file and line, and writes no manifest, profile or ref;
 * what parses but holds no data (an empty or header-only CSV) is snapshotted and caught by
 * `validateDataset`, naming the file. `mlops data snapshot` of a missing folder starts no workflow.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { datasetKeys, snapshotDataset, validateDataset } from '../../activities/data';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { backends, datasetFolder, keysUnder, rejectsWithType, tempDir } from '../data/helpers';
import { cliEnv } from '../support/cli';
import { assertUsageError, runMain, workflowsOn } from './support';

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

    it('names the file of invalid UTF-8 in a CSV', async function () {
      const bad = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
      const source = datasetFolder({ 'data/latin1.csv': bad });
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetInvalid',
        /data\/latin1\.csv: not valid UTF-8/,
      );
      await assertNoSnapshot('churn');
    });

    it('names the line of an unterminated quoted field', async function () {
      const source = datasetFolder({ 'd.csv': 'a,b\n1,2\n"3,4\n' });
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetInvalid',
        /d\.csv: line 3: a quoted field is never closed/,
      );
      await assertNoSnapshot('churn');
    });

    it('names the line of a ragged 10 MB single-line record, in bounded time', async function () {
      const source = datasetFolder({ 'wide.csv': `a,b\n${'x'.repeat(10 * 1024 * 1024)}\n` });
      const started = Date.now();
      await rejectsWithType(
        snapshotDataset(store, { dataset: 'churn', source }),
        'DatasetInvalid',
        /wide\.csv line 2: 1 field, but the header has 2/,
      );
      assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
      await assertNoSnapshot('churn');
    });

    it('snapshots an empty and a header-only CSV, and validation names each file as holding no rows', async function () {
      const source = datasetFolder({ 'empty.csv': '', 'header.csv': 'a,b\n', 'one-line.csv': 'x'.repeat(1024 * 1024) });
      const snapshot = await snapshotDataset(store, { dataset: 'churn', source });
      assert.equal(snapshot.fileCount, 3);
      const report = await validateDataset(store, { dataset: 'churn', id: snapshot.id, expectations: { minRows: 1 } });
      assert.equal(report.passed, false);
      const failed = report.results.filter((r) => !r.passed).map((r) => r.message);
      for (const file of ['empty.csv', 'header.csv', 'one-line.csv'])
        assert.ok(failed.includes(`${file}: 0 rows, at least 1 expected`), JSON.stringify(failed));
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
      // root reads everything: the snapshot runs with the effective ids of the unprivileged user
      // `nobody`, so the kernel refuses the read as it would for a worker running as any other user
      const storeRoot = tempDir('store-');
      for (const dir of [source, storeRoot]) fs.chmodSync(dir, 0o777);
      await rejectsWithType(
        asNobody(() => snapshotDataset(new FilesystemBlobStore(storeRoot), { dataset: 'churn', source })),
        'DatasetSourceInvalid',
        /cannot read locked\.bin .*permission denied/,
      );
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

/** The uid and gid of `nobody` on Debian and most Linux distributions. */
const NOBODY = 65534;

/**
 * Runs `fn` with this process's effective user and group set to `nobody`'s (file permissions are
 * checked against them, in every thread), then back to root's, and returns what `fn` returned or
 * threw. In-process, so it needs no access to the checkout, wherever that lives (a child process
 * run as `nobody` could not load the code from a checkout under a home folder only root may enter).
 */
async function asNobody<T>(fn: () => Promise<T>): Promise<T> {
  // POSIX only, as is running the tests as root
  process.setegid!(NOBODY);
  process.seteuid!(NOBODY);
  try {
    return await fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
  }
}

describe('bad input: `mlops data snapshot` of a missing folder', function () {
  it('exits 2 naming the folder and starts no workflow', async function () {
    const env = cliEnv(`bad-data-${process.pid}`);
    const missing = path.join(tempDir(), 'nope');
    assertUsageError(
      await runMain(['data', 'snapshot', 'churn', missing], env),
      /source: folder .*nope does not exist/,
    );
    assertUsageError(
      await runMain(['data', 'snapshot', 'churn', path.join(missing, '..')], {
        ...env,
        MLOPS_STORE: 'ftp://elsewhere',
      }),
      /MLOPS_STORE: unsupported store/,
    );
    assert.deepEqual(await workflowsOn(env.MLOPS_TASK_QUEUE!), []);
  });
});
