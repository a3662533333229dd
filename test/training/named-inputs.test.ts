/** Named inputs of a job (a pipeline step's): materialized into `inputs/<name>/`, passed as MLOPS_INPUT_<NAME>. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDataset } from '../../activities/data';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { LocalProcessBackend, type TrainingJob, type TrainingJobInput } from '../../activities/training';
import { tempDir, untilFile, waitFor } from './helpers';

/** Reads both inputs, writes what it saw; waits for `go` in the code folder when asked to. */
const STEP_SCRIPT = [
  'set -e',
  'if [ -n "$WAIT_FOR_GO" ]; then ' + untilFile('go') + '; fi',
  'env | grep "^MLOPS_INPUT_" | sort > "$MLOPS_OUTPUT_DIR/env.txt"',
  'wc -l < "$MLOPS_INPUT_RAW/orders.csv" | tr -d " " > "$MLOPS_OUTPUT_DIR/rows.txt"',
  'cat "$MLOPS_INPUT_RAW/nested/regions.txt" "$MLOPS_INPUT_BASE_MODEL/model.joblib" > "$MLOPS_OUTPUT_DIR/seen.txt"',
  'cp "$MLOPS_INPUT_BASE_MODEL/config/settings.json" "$MLOPS_OUTPUT_DIR/settings.json"',
].join('\n');

describe('named inputs of a job on the local process backend', function () {
  this.timeout(20_000);
  let store: BlobStore;
  let workRoot: string;
  let codeDir: string;
  let backend: LocalProcessBackend;
  let snapshotId: string;
  const modelPrefix = 'experiments/churn/run-1/trials/0/output';

  beforeEach(async function () {
    store = new FilesystemBlobStore(tempDir('store'));
    workRoot = tempDir('jobs');
    codeDir = tempDir('code');
    fs.writeFileSync(path.join(codeDir, 'step.sh'), STEP_SCRIPT);
    backend = new LocalProcessBackend({ store, workRoot, killGraceMs: 500 });
    const source = tempDir('raw');
    fs.mkdirSync(path.join(source, 'nested'));
    fs.writeFileSync(path.join(source, 'orders.csv'), 'id,amount\n1,5\n2,7\n');
    fs.writeFileSync(path.join(source, 'nested', 'regions.txt'), 'north\n');
    snapshotId = (await snapshotDataset(store, { dataset: 'orders', source })).id;
    await store.put(`${modelPrefix}/model.joblib`, 'weights\n');
    await store.put(`${modelPrefix}/config/settings.json`, '{"depth":3}');
  });

  const inputs = (): TrainingJobInput[] => [
    { name: 'raw', snapshot: { dataset: 'orders', snapshot: snapshotId } },
    { name: 'base_model', modelUri: `${store.uri}/${modelPrefix}` },
  ];
  const stepJob = (extra: Partial<TrainingJob> = {}): TrainingJob => ({
    name: 'features',
    command: ['/bin/sh', 'step.sh'],
    codeDir,
    params: {},
    inputs: inputs(),
    outputPrefix: 'experiments/churn/run-1/steps/features',
    ...extra,
  });

  it('materializes a snapshot and a model folder under inputs/<name>/ and names them in MLOPS_INPUT_<NAME>', async function () {
    const { jobId } = await backend.submit(stepJob(), 'k-inputs');
    const status = await waitFor(backend, jobId, ['succeeded', 'failed']);
    assert.equal(status.state, 'succeeded', JSON.stringify(status));
    const jobDir = path.join(workRoot, jobId);
    const out = (name: string) => fs.readFileSync(path.join(jobDir, 'output', name), 'utf8');
    assert.equal(
      out('env.txt'),
      `MLOPS_INPUT_BASE_MODEL=${path.join(jobDir, 'inputs', 'base_model')}\n` +
        `MLOPS_INPUT_RAW=${path.join(jobDir, 'inputs', 'raw')}\n`,
    );
    assert.equal(out('rows.txt').trim(), '3');
    assert.equal(out('seen.txt'), 'north\nweights\n');
    assert.equal(out('settings.json'), '{"depth":3}');
    const result = await backend.result(jobId);
    assert.equal(result.outputUri, `${store.uri}/experiments/churn/run-1/steps/features/output`);
    const uploaded = await store.getBytes('experiments/churn/run-1/steps/features/output/seen.txt');
    assert.equal(uploaded.toString('utf8'), 'north\nweights\n');
  });

  it('re-attaches from a restarted backend to the job with its inputs, and starts nothing twice', async function () {
    const job = stepJob({ env: { WAIT_FOR_GO: '1' } });
    const { jobId } = await backend.submit(job, 'k-inputs-restart');
    const restarted = new LocalProcessBackend({ store, workRoot });
    assert.deepEqual(await restarted.submit(job, 'k-inputs-restart'), { jobId, attached: true });
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    assert.equal((await waitFor(restarted, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal((await restarted.result(jobId)).outputUri.endsWith('/steps/features/output'), true);
    assert.equal(fs.readFileSync(path.join(workRoot, jobId, 'output', 'seen.txt'), 'utf8'), 'north\nweights\n');
    assert.deepEqual(fs.readdirSync(workRoot), [jobId]);
  });

  it('refuses bad inputs naming the field, before anything is created', async function () {
    const [raw, model] = inputs();
    const cases: [unknown, RegExp][] = [
      [{ name: 'raw' }, /^inputs: must be a list/],
      [[raw, { ...model, name: 'Base' }], /^inputs\[1\]\.name: must be 1-32 characters/],
      [[{ ...raw, name: '9raw' }], /^inputs\[0\]\.name: /],
      [[{ ...raw, name: 'x'.repeat(33) }], /^inputs\[0\]\.name: /],
      [[{ ...raw, name: 'raw-data' }], /^inputs\[0\]\.name: /],
      [[raw, { ...model, name: 'raw' }], /^inputs\[1\]\.name: raw is the name of an earlier input too/],
      [[{ name: 'both', snapshot: raw!.snapshot, modelUri: model!.modelUri }], /^inputs\[0\]: must have exactly one/],
      [[raw, { name: 'neither' }], /^inputs\[1\]: must have exactly one of snapshot or modelUri/],
      [[{ name: 'raw', snapshot: { dataset: '../x', snapshot: 'latest' } }], /^inputs\[0\]\.snapshot\.dataset: /],
      [[{ name: 'raw', snapshot: { dataset: 'orders' } }], /^inputs\[0\]\.snapshot\.snapshot: required/],
      [[raw, { name: 'm', modelUri: 's3://elsewhere/models/x' }], /^inputs\[1\]\.modelUri: must be a folder inside/],
      [[raw, { name: 'm', modelUri: `${store.uri}/../x` }], /^inputs\[1\]\.modelUri: /],
      [[raw, { name: 'm', modelUri: `${store.uri}/nothing/here` }], /^inputs\[1\]\.modelUri: no objects under /],
    ];
    for (const [i, [bad, message]] of cases.entries()) {
      await assert.rejects(
        backend.submit(stepJob({ inputs: bad as TrainingJobInput[] }), `k-bad-${i}`),
        { type: 'InvalidTrainingJob', message },
        JSON.stringify(bad),
      );
    }
    await assert.rejects(
      backend.submit(
        stepJob({ inputs: [{ name: 'raw', snapshot: { dataset: 'orders', snapshot: 'f'.repeat(64) } }] }),
        'k-none',
      ),
      { type: 'SnapshotNotFound' },
    );
    assert.deepEqual(fs.readdirSync(workRoot), []);
  });
});
