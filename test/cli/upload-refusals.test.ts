/** What the CLI refuses to upload: a missing folder, a file, and a scheduled pipeline's local folder. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { loadPipelineSpec } from '../../client/pipeline-spec';
import { refuseLocalScheduledSource, uploadDataset, uploadSpecDataset } from '../../client/upload-dataset';

const CHURN_SPEC = path.join(__dirname, '..', '..', 'examples', 'churn', 'pipeline.yaml');

function userError(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('uploads the CLI refuses', function () {
  let dir: string;
  let storeRoot: string;

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-upload-refusals-'));
    storeRoot = path.join(dir, 'store');
    fs.mkdirSync(storeRoot);
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing folder and a file with exit 2 naming them, storing nothing', async function () {
    const store = new FilesystemBlobStore(storeRoot);
    const missing = path.join(dir, 'nope');
    await assert.rejects(
      uploadDataset(store, missing, { dataset: 'churn' }),
      userError(/^source: folder .*nope does not exist$/),
    );
    const file = path.join(dir, 'train.csv');
    fs.writeFileSync(file, 'a,b\n1,2\n');
    await assert.rejects(
      uploadDataset(store, file, { dataset: 'churn' }),
      userError(/^source: .*train\.csv is not a folder$/),
    );
    const spec = loadPipelineSpec(CHURN_SPEC).spec;
    await assert.rejects(
      uploadSpecDataset(store, { ...spec, dataset: { ...spec.dataset, source: missing, workerPath: false } }),
      userError(/^dataset\.source: folder .*nope does not exist$/),
    );
    assert.deepEqual(fs.readdirSync(storeRoot), [], 'nothing written to the store');
  });

  it('refuses a scheduled pipeline whose dataset.source is a local folder, saying why and what to write instead', function () {
    // the example reads its folder on the worker (workerPath: true), which a schedule may
    const example = loadPipelineSpec(CHURN_SPEC);
    assert.equal(example.spec.dataset.workerPath, true);
    assert.doesNotThrow(() => refuseLocalScheduledSource(example));
    // the same spec with the folder on this machine: scheduled at 03:00, data in a folder
    const loaded = { ...example, spec: { ...example.spec, dataset: { ...example.spec.dataset, workerPath: false } } };
    assert.throws(
      () => refuseLocalScheduledSource(loaded),
      userError(
        new RegExp(
          `pipeline\\.yaml: dataset\\.source: ${loaded.spec.dataset.source!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a folder on this machine`,
        ),
      ),
    );
    assert.throws(
      () => refuseLocalScheduledSource(loaded),
      userError(/cron time \(0 3 \* \* \*\), where this folder cannot be read/),
    );
    assert.throws(
      () => refuseLocalScheduledSource(loaded),
      userError(/every scheduled run would retrain on the same snapshot/),
    );
    assert.throws(() => refuseLocalScheduledSource(loaded), userError(/an s3:\/\/ prefix the workers can read/));
    assert.throws(() => refuseLocalScheduledSource(loaded), userError(/set dataset\.workerPath: true/));
    assert.throws(
      () => refuseLocalScheduledSource(loaded),
      userError(/remove the schedule section and run `mlops run churn`/),
    );

    const withFileUrl = {
      ...loaded,
      spec: { ...loaded.spec, dataset: { ...loaded.spec.dataset, source: 'file:///data/churn' } },
    };
    assert.throws(
      () => refuseLocalScheduledSource(withFileUrl),
      userError(/dataset\.source: \/data\/churn is a folder/),
    );
    const fromS3 = {
      ...loaded,
      spec: { ...loaded.spec, dataset: { ...loaded.spec.dataset, source: 's3://data/churn' } },
    };
    assert.doesNotThrow(() => refuseLocalScheduledSource(fromS3));
    const unscheduled = { ...loaded, spec: { ...loaded.spec, schedule: undefined } };
    assert.doesNotThrow(() => refuseLocalScheduledSource(unscheduled));
  });
});
