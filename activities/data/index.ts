/**
 * Data versioning: content-addressed dataset snapshots, their tabular profiles, validation and
 * diffs. Store layout and every type: ./types.ts.
 *
 * - ./snapshot.ts       `snapshotDataset`: scan, stat cache, hash (./hash-pool.ts), dedup upload, manifest, ref
 * - ./upload-source.ts  `upload://<hex>`: files a client hashed and stored itself (./upload-manifest.ts), snapshotted from the store
 * - ./materialize.ts    `materializeSnapshot`: restore files, verifying every digest
 * - ./profile.ts        CSV profiles (./csv-parser.ts, ./column-profile.ts, ./numeric-stats.ts)
 * - ./validate.ts       `validateDataset` against `DatasetExpectations` (./expectations.ts)
 * - ./diff.ts           `diffSnapshots`: files and profile changes
 * - ./read.ts           `listSnapshots`, `resolveSnapshotId`, `openManifest` (entries in path order, a chunk at a time), `readManifest`, `readProfile`
 * - ./activities.ts     `createDataActivities(deps)`: the same as activities (heartbeats, resume,
 *                       cancellation, `ApplicationFailure`s)
 *
 * The plain functions take the `BlobStore` first and throw `DataError` (a catalogued failure with
 * a stable `type`, common/failures/data.ts); the activities throw non-retryable
 * `ApplicationFailure`s of the same types.
 * The snapshot id is the sha256 of a canonical file list, defined in ./canonical.ts.
 */
export { createDataActivities, MAX_DIFF_ENTRIES, type DataActivityDeps } from './activities';
export { canonicalManifest, snapshotIdOf } from './canonical';
export { diffSnapshots } from './diff';
export { datasetKeys, validateDatasetName } from './keys';
export { materializeSnapshot, type MaterializeOptions } from './materialize';
export { isTabularPath, profileCsv, profileParquet } from './profile';
export {
  isParquetPath,
  withParquetTable,
  DEFAULT_PARQUET_LIMITS,
  type ParquetLimits,
  type ParquetTable,
} from './parquet';
export { listSnapshots, openManifest, readManifest, readProfile, resolveSnapshotId, type OpenedManifest } from './read';
export { snapshotDataset, MAX_RESUME_DIGESTS, type SnapshotOptions } from './snapshot';
export { validateDataset, validationFailure } from './validate';
export type * from './types';
