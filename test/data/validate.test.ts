/** `validateDataset` on both stores: reports stored, failures named, details for the workflow. */
import assert from 'node:assert/strict';
import {
  snapshotDataset,
  validateDataset,
  validationFailure,
  type DatasetExpectations,
  type ValidationReport,
} from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { backends, datasetFolder } from './helpers';

const CSV = ['customer,tenure,plan,churned', 'a,5,basic,0', 'b,,pro,1', 'c,12,basic,0', 'd,30,pro,0', ''].join('\n');

const PASSING: DatasetExpectations = {
  requiredColumns: [{ name: 'tenure', type: 'number' }, { name: 'plan', type: 'string' }, { name: 'churned' }],
  minRows: 4,
  maxNullRate: { tenure: 0.25 },
  allowedCategories: { plan: ['basic', 'pro', 'enterprise'], churned: ['0', '1'] },
  ranges: { tenure: { min: 0, max: 100 } },
  labelColumn: 'churned',
};

for (const backend of backends) {
  describe(`validateDataset on ${backend.name}`, function () {
    let store: BlobStore;
    let id: string;

    beforeEach(async function () {
      store = backend.make();
      id = (await snapshotDataset(store, { dataset: 'churn', source: datasetFolder({ 'train.csv': CSV }) })).id;
    });

    it('passes a snapshot that meets every expectation and stores the report', async function () {
      const report = await validateDataset(store, { dataset: 'churn', id, expectations: PASSING });
      assert.equal(report.passed, true, JSON.stringify(report.results.filter((r) => !r.passed)));
      assert.equal(report.results.length, 9);
      const stored = JSON.parse((await store.getBytes(report.reportKey)).toString()) as ValidationReport;
      assert.deepEqual(stored, report);
      assert.match(report.reportKey, new RegExp(`^datasets/churn/validations/${id}/[0-9a-f]{64}\\.json$`));
    });

    it('fails naming each failing expectation, with the report key and the failed results as details', async function () {
      const expectations: DatasetExpectations = {
        ...PASSING,
        minRows: 1000,
        maxNullRate: { tenure: 0.1 },
        allowedCategories: { plan: ['basic'] },
        requiredColumns: [{ name: 'region' }],
      };
      const report = await validateDataset(store, { dataset: 'churn', id: 'latest', expectations });
      assert.equal(report.passed, false);
      const failed = report.results.filter((r) => !r.passed).map((r) => r.expectation);
      assert.deepEqual(failed, ['requiredColumns.region', 'minRows', 'maxNullRate.tenure', 'allowedCategories.plan']);
      assert.deepEqual(report.results.find((r) => r.expectation === 'maxNullRate.tenure')?.observed, 0.25);

      const error = validationFailure(report);
      assert.equal(error.type, 'DatasetValidationFailed');
      assert.match(
        error.message,
        /4 of 6 expectations failed: requiredColumns\.region .*minRows \(train\.csv: 4 rows, at least 1000 expected\).*maxNullRate\.tenure/,
      );
      const details = error.details as { reportKey: string; failed: { expectation: string }[] };
      assert.equal(details.reportKey, report.reportKey);
      assert.equal(details.failed.length, 4);
      assert.ok(await store.head(report.reportKey), 'a failing report is stored too');
    });
  });
}
