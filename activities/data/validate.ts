/**
 * Checks a snapshot against `DatasetExpectations` using its stored profile (no data is re-read).
 * Counts, null rates, min and max are exact. Allowed categories are checked against the exact
 * list of distinct values when the profile has it (at most 1,000 values) or when the top
 * categories cover every value; otherwise the check fails saying it cannot be verified.
 * Each check gives one `ExpectationResult` per table (CSV or Parquet file) it applies to.
 */
import type { BlobStore } from '../storage/types';
import { canonicalJson, sha256Hex } from './canonical';
import { DataError } from '../../common/failures';
import { checkFile } from './expectations';
import { datasetKeys, validateDatasetName } from './keys';
import { openManifest } from './manifest-store';
import { profileOf, resolveSnapshotId } from './read';
import type { ExpectationResult, ValidateInput, ValidationReport } from './types';

/** Validates a snapshot, stores the report and returns it (passed or not; see `validationFailure`). */
export async function validateDataset(store: BlobStore, input: ValidateInput): Promise<ValidationReport> {
  const dataset = validateDatasetName(input.dataset);
  const expectations = input.expectations;
  if (typeof expectations !== 'object' || expectations === null || Array.isArray(expectations)) {
    throw new DataError('InvalidInput', 'expectations: must be an object');
  }
  const id = await resolveSnapshotId(store, dataset, input.id);
  const { header } = await openManifest(store, dataset, id);
  const profile = await profileOf(store, header);
  const files = (profile?.files ?? []).filter(
    (file) => expectations.file === undefined || file.path === expectations.file,
  );

  const results: ExpectationResult[] = [];
  if (files.length === 0) {
    const what =
      expectations.file === undefined ? 'any CSV or Parquet file' : `CSV or Parquet file ${expectations.file}`;
    results.push({
      expectation: 'file',
      file: expectations.file ?? '',
      passed: false,
      expected: expectations.file ?? 'a CSV or Parquet file',
      observed: null,
      message: `snapshot ${id.slice(0, 12)} has no ${what} to check`,
    });
  }
  for (const file of files) results.push(...checkFile(file, expectations));

  const reportKey = datasetKeys.validation(dataset, id, sha256Hex(canonicalJson(expectations)));
  const report: ValidationReport = {
    dataset,
    snapshot: id,
    passed: results.every((result) => result.passed),
    results,
    reportKey,
    checkedAt: new Date().toISOString(),
  };
  await store.put(reportKey, JSON.stringify(report, null, 2), { contentType: 'application/json' });
  return report;
}

/** The `DatasetValidationFailed` error for a failed report: names each failed expectation; details `{ reportKey, failed }`. */
export function validationFailure(report: ValidationReport): DataError {
  const failed = report.results.filter((result) => !result.passed);
  const list = failed.map((result) => `${result.expectation} (${result.message})`).join('; ');
  return new DataError(
    'DatasetValidationFailed',
    `dataset ${report.dataset} snapshot ${report.snapshot.slice(0, 12)}: ${failed.length} of ` +
      `${report.results.length} expectations failed: ${list}. Report: ${report.reportKey}`,
    { reportKey: report.reportKey, failed },
  );
}
