/** Dataset names, snapshot ids and the store keys of a dataset (layout in ./types.ts). */
import { DataError } from '../../common/failures';

const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/** Returns `name` if it is a valid dataset name, else throws `InvalidInput` naming `field`. */
export function validateDatasetName(name: unknown, field = 'dataset'): string {
  if (typeof name !== 'string' || !DATASET_NAME.test(name)) {
    throw new DataError(
      'InvalidInput',
      `${field}: must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit ` +
        `(got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/** Whether `value` is a full sha256 digest in lowercase hex. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** The keys of one dataset's objects. */
export const datasetKeys = {
  root: (dataset: string) => `datasets/${dataset}/`,
  blob: (dataset: string, digest: string) => `datasets/${dataset}/blobs/sha256/${digest.slice(0, 2)}/${digest}`,
  blobs: (dataset: string) => `datasets/${dataset}/blobs/`,
  snapshots: (dataset: string) => `datasets/${dataset}/snapshots/`,
  manifest: (dataset: string, id: string) => `datasets/${dataset}/snapshots/${id}.json`,
  manifestChunk: (dataset: string, digest: string) => `datasets/${dataset}/manifest-chunks/${digest}.ndjson`,
  profile: (dataset: string, id: string) => `datasets/${dataset}/profiles/${id}.json`,
  latest: (dataset: string) => `datasets/${dataset}/refs/latest.json`,
  validation: (dataset: string, id: string, expectationsDigest: string) =>
    `datasets/${dataset}/validations/${id}/${expectationsDigest}.json`,
};
