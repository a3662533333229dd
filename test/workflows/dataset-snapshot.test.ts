import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { MlDatasetVersion } from '../../common/search-attributes';
import { datasetSnapshot } from '../../workflows';
import { testStack } from '../support/stack';
import { testDeps, uniqueQueue, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';

describe('datasetSnapshot workflow', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'snapshot-wf-'));
    const rows = ['id,tenure,churned', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 12},${i % 5 === 0}`)];
    fs.writeFileSync(path.join(dir, 'train.csv'), rows.join('\n') + '\n');
  });

  it('snapshots a folder, tags the run with MlDatasetVersion and tells the story in its details', async () => {
    const queue = uniqueQueue('snapshot');
    const { client } = testStack().env;
    await withWorker(queue, testDeps(), async () => {
      const handle = await client.workflow.start(datasetSnapshot, {
        workflowId: uniqueQueue('snapshot/churn'),
        taskQueue: queue,
        args: [{ dataset: 'churn', source: dir, expectations: { minRows: 10, labelColumn: 'churned' } }],
      });
      const result = await handle.result();
      assert.equal(result.snapshot.fileCount, 1);
      assert.equal(result.validation?.passed, true);
      const description = await handle.describe();
      assert.deepEqual(description.typedSearchAttributes.get(MlDatasetVersion), result.snapshot.id);
      await recordHistory('dataset-snapshot', handle.workflowId);
    });
  });

  it('fails with DatasetValidationFailed naming the unmet expectation', async () => {
    const queue = uniqueQueue('snapshot');
    const { client } = testStack().env;
    await withWorker(queue, testDeps(), async () => {
      const run = client.workflow.execute(datasetSnapshot, {
        workflowId: uniqueQueue('snapshot/churn'),
        taskQueue: queue,
        args: [{ dataset: 'churn', source: dir, expectations: { minRows: 1000 } }],
      });
      await assert.rejects(run, (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError);
        assert.ok(err.cause instanceof ActivityFailure);
        const failure = err.cause.cause;
        assert.ok(failure instanceof ApplicationFailure);
        assert.equal(failure.type, 'DatasetValidationFailed');
        assert.match(failure.message, /minRows/);
        return true;
      });
    });
  });
});
