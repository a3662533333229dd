/**
 * Hashing a local file on the calling thread, for snapshots with little to hash (starting the
 * worker threads of ./hash-pool.ts would cost more than the hashing). Same results as the pool:
 * the stamp of the version read, and a file that changes while it is read is read again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { HashedFile } from './hash-pool';
import { fileStamp } from './file-stamp';

const CHUNK = 2 * 1024 * 1024;
const READ_ATTEMPTS = 3;

/** Hashes `file` on this thread, keeping its bytes when it is at most `keepBytes` long. */
export async function hashInline(file: string, keepBytes: number): Promise<HashedFile> {
  for (let attempt = 1; ; attempt++) {
    const handle = await fs.open(file, 'r');
    try {
      const before = await handle.stat();
      if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
      const hash = createHash('sha256');
      const kept = before.size <= keepBytes ? Buffer.allocUnsafe(before.size) : undefined;
      let size = 0;
      while (kept && size < kept.length) {
        const { bytesRead } = await handle.read(kept, size, kept.length - size, null);
        if (bytesRead === 0) break;
        size += bytesRead;
      }
      if (kept) hash.update(kept.subarray(0, size));
      const scratch = Buffer.allocUnsafe(kept ? 1 : CHUNK);
      for (;;) {
        const { bytesRead } = await handle.read(scratch, 0, scratch.length, null);
        if (bytesRead === 0) break;
        hash.update(scratch.subarray(0, bytesRead));
        size += bytesRead;
      }
      const stamp = fileStamp(before);
      if (size === before.size && fileStamp(await handle.stat()) === stamp) {
        return { digest: hash.digest('hex'), size, stamp, mtimeMs: before.mtimeMs, bytes: kept };
      }
    } finally {
      await handle.close();
    }
    if (attempt >= READ_ATTEMPTS) throw new Error(`${file} kept changing while it was read; retry when it is stable`);
  }
}
