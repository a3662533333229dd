/** `mlops data snapshot` of a local folder: hashed and uploaded by the CLI, recorded by a worker that never reads it. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';
import { keysUnder } from '../data/helpers';

describe('mlops data snapshot of a folder on the CLI machine', function () {
  this.timeout(120_000);
  const prefix = `cli-upload-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('mlops-cli-upload');
  let env: NodeJS.ProcessEnv;
  let data: string;
  let workerRoot: string;

  before(() => {
    const { tmpDir } = testStack();
    data = fs.mkdtempSync(path.join(tmpDir, 'cli-data-'));
    workerRoot = fs.mkdtempSync(path.join(tmpDir, 'worker-root-'));
    fs.writeFileSync(path.join(data, 'train.csv'), 'customer_id,tenure,churned\n1,5,false\n2,9,true\n3,1,false\n');
    fs.mkdirSync(path.join(data, 'extra'));
    fs.writeFileSync(path.join(data, 'extra', 'notes.txt'), 'collected in March\n');
    env = cliEnv(prefix, { MLOPS_TASK_QUEUE: queue });
  });

  const cli = (...args: string[]) => runCli(args, env);

  it('snapshots a folder outside the worker’s source roots, which --worker-path would not', async () => {
    const store = testS3Store(prefix);
    // this worker may read no folder but an empty one: the data must come through the store
    await withWorker(queue, { ...testDeps(store), sourceRoots: [workerRoot] }, async () => {
      const first = await cli(
        '--json',
        'data',
        'snapshot',
        'churn',
        data,
        '--description',
        'uploaded',
        '--concurrency',
        '2',
      );
      assert.equal(first.code, 0, first.stderr);
      const result = JSON.parse(first.stdout) as {
        snapshot: { id: string; created: boolean; fileCount: number; uploadedFiles: number };
        upload: { source: string; files: number; uploadedFiles: number; uploadedBytes: number };
      };
      assert.equal(result.snapshot.created, true);
      assert.equal(result.snapshot.fileCount, 2);
      assert.match(result.upload.source, /^upload:\/\/[0-9a-f]{64}$/);
      assert.deepEqual([result.upload.files, result.upload.uploadedFiles], [2, 2]);

      const show = await cli('data', 'show', 'churn', 'latest');
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /train\.csv: 3 rows, 3 columns/);

      const again = await cli('data', 'snapshot', 'churn', `file://${data}`);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`unchanged: identical to existing snapshot ${result.snapshot.id}`));
      assert.match(again.stdout, /uploaded 0 files \(0 B\) from /, 'nothing uploaded again');
      assert.match(
        again.stderr,
        /: 2 files \(.*\), nothing to upload → upload:\/\/[0-9a-f]{64}/,
        'the upload, on stderr',
      );

      const onWorker = await cli('data', 'snapshot', 'churn', data, '--worker-path');
      assert.notEqual(onWorker.code, 0);
      assert.match(onWorker.stderr, /outside the folders this worker may read/);
    });
  });

  it('exits 2 naming a missing folder or a file, and 3 when Temporal is unreachable, uploading nothing and starting no run', async () => {
    const store = testS3Store(`${prefix}-bad`);
    const badEnv = cliEnv(`${prefix}-bad`, { MLOPS_TASK_QUEUE: queue });
    const missing = path.join(data, 'no-such-folder');
    const gone = await runCli(['data', 'snapshot', 'bad', missing], badEnv);
    assert.equal(gone.code, 2, gone.stderr);
    assert.match(gone.stderr, /source: folder .*no-such-folder does not exist/);
    const file = await runCli(['data', 'snapshot', 'bad', path.join(data, 'train.csv')], badEnv);
    assert.equal(file.code, 2, file.stderr);
    assert.match(file.stderr, /source: .*train\.csv is not a folder/);
    const unreachable = await runCli(['data', 'snapshot', 'bad', data], { ...badEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(unreachable.code, 3, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach Temporal/);
    assert.deepEqual(await keysUnder(store, ''), [], 'nothing in the store');
    const runs: string[] = [];
    for await (const w of testStack().env.client.workflow.list({ query: `WorkflowId STARTS_WITH 'snapshot/bad/'` })) {
      runs.push(w.workflowId);
    }
    assert.deepEqual(runs, []);
  });

  it('exits 2 with one line naming the limit when the folder has more files than MLOPS_MAX_SNAPSHOT_FILES, uploading nothing', async () => {
    const store = testS3Store(`${prefix}-limit`);
    const limitEnv = cliEnv(`${prefix}-limit`, { MLOPS_TASK_QUEUE: queue, MLOPS_MAX_SNAPSHOT_FILES: '1' });
    const refused = await runCli(['data', 'snapshot', 'limited', data], limitEnv);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /holds 2 files, more than the limit of 1 files per snapshot \(MLOPS_MAX_SNAPSHOT_FILES\)/,
    );
    assert.deepEqual(await keysUnder(store, ''), [], 'nothing in the store');
  });
});
