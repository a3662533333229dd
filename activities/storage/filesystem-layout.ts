/**
 * Where the filesystem store keeps things under its root:
 *
 * ```
 * <root>/<key>                                   object bodies, plain files (readable by hand)
 * <root>/.blobstore/meta/<h[0..2]>/<h>.json      etag (sha256) + the stamp of the body it describes
 * <root>/.blobstore/tmp/<uuid>.tmp               bodies being written (same filesystem: rename is atomic)
 * <root>/.blobstore/staging/<pid>@<host>.<uuid>/  a write batch's bodies, not yet durable (./filesystem-batch.ts)
 * <root>/.blobstore/locks/<h>.lock               per-key write locks
 * ```
 *
 * `h` is the sha256 of the key, so metadata and locks need no nested folders. Keys whose first
 * segment is `.blobstore` are refused: that name belongs to the store.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InvalidKeyError } from '../../common/failures';
import { validateKey } from './keys';

/** The folder under the root that holds everything that is not an object body. */
export const RESERVED_DIR = '.blobstore';

/** Maps keys to paths under one root folder. */
export class FilesystemLayout {
  readonly root: string;
  readonly tmpDir: string;
  readonly lockDir: string;
  readonly stagingDir: string;
  private readonly metaDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, RESERVED_DIR, 'tmp');
    this.lockDir = path.join(this.root, RESERVED_DIR, 'locks');
    this.stagingDir = path.join(this.root, RESERVED_DIR, 'staging');
    this.metaDir = path.join(this.root, RESERVED_DIR, 'meta');
  }

  /** Validates `key` and returns the path of its body; throws `InvalidKeyError`. */
  objectPath(key: string): string {
    validateKey(key);
    if (key === RESERVED_DIR || key.startsWith(`${RESERVED_DIR}/`)) {
      throw new InvalidKeyError(key, `${RESERVED_DIR}/ is reserved for the store's own files`);
    }
    const resolved = path.resolve(this.root, ...key.split('/'));
    if (!resolved.startsWith(this.root + path.sep)) throw new InvalidKeyError(key, 'resolves outside the store');
    return resolved;
  }

  /** The metadata file of `key` (assumed valid). */
  metaPath(key: string): string {
    const hash = keyHash(key);
    return path.join(this.metaDir, hash.slice(0, 2), `${hash}.json`);
  }

  /** The lock file of `key` (assumed valid), for `FileLocks`. */
  lockFile(key: string): string {
    return path.join(this.lockDir, `${keyHash(key)}.lock`);
  }
}

function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
