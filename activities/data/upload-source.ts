/**
 * An upload (`upload://<hex>`, ./upload-manifest.ts) as a snapshot source: the files a client
 * hashed on its own machine and stored as blobs of the upload's dataset. The scan is the upload
 * manifest; nothing is hashed (the stamp is the recorded digest, so an unchanged re-snapshot takes
 * the warm path with no stat cache file); a read streams the stored blob, verified.
 * The snapshot a worker records from it has the id, dedup, profile and lineage of a snapshot of
 * the folder itself, and its blobs are already stored, so the writer uploads nothing.
 */
import type { Readable } from 'node:stream';
import { NotFoundError, DataError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { sortByPath } from './canonical';
import { datasetKeys } from './keys';
import { checkFileLimit, DEFAULT_MAX_SNAPSHOT_FILES } from './limits';
import type { DatasetSource, ExpectedContent, HashedEntry, ScanOptions, SourceEntry } from './source-types';
import { readUploadManifest, UPLOAD_SCHEME, type UploadManifest } from './upload-manifest';
import { verifyStream } from './verify-stream';

/** The files of one upload, read from the platform's store. */
export class UploadSource implements DatasetSource {
  readonly stampIsDigest = true;

  private constructor(
    readonly id: string,
    private readonly store: BlobStore,
    readonly manifest: UploadManifest,
  ) {}

  /** Opens upload `hex` in `store`; `DatasetSourceInvalid` naming it when its manifest is missing or wrong. */
  static async open(store: BlobStore, hex: string): Promise<UploadSource> {
    return new UploadSource(`${UPLOAD_SCHEME}${hex}`, store, await readUploadManifest(store, hex));
  }

  /** The manifest's files; each one's location is its blob key, its stamp its digest. */
  async scan({ maxFiles = DEFAULT_MAX_SNAPSHOT_FILES }: ScanOptions = {}): Promise<SourceEntry[]> {
    const { dataset, files } = this.manifest;
    checkFileLimit(files.length, this.id, maxFiles);
    return sortByPath(
      files.map((file) => ({
        path: file.path,
        size: file.size,
        stamp: file.sha256,
        location: datasetKeys.blob(dataset, file.sha256),
      })),
    );
  }

  /** The recorded digest: nothing is read. */
  async hash(entry: SourceEntry): Promise<HashedEntry> {
    return { digest: entry.stamp, size: entry.size, stamp: entry.stamp, stable: true };
  }

  /** Streams the stored blob, checking its digest; a missing or altered blob fails non-retryably, naming the upload. */
  async read(entry: SourceEntry, expected: ExpectedContent): Promise<Readable> {
    let body: Readable;
    try {
      body = await this.store.get(entry.location);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw new DataError(
        'DatasetSourceInvalid',
        `source ${this.id}: the blob of ${entry.path} (${entry.location}) is missing from the store; upload the folder again`,
        undefined,
        { cause: error },
      );
    }
    return verifyStream(body, expected.digest, expected.size, () => {
      return new DataError(
        'DatasetSourceInvalid',
        `source ${this.id}: the stored blob of ${entry.path} (${entry.location}) does not have its digest`,
      );
    });
  }

  /** Nothing to release: the store belongs to whoever opened it. */
  async close(): Promise<void> {}
}
