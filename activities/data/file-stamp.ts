/** Stamps of local files: what identifies one version of a file without reading it. */
import type { Stats } from 'node:fs';

/** Files modified this recently may change again without changing their stamp (same clock tick). */
export const RACY_MS = 1000;

/** The stamp of a local file version: size, mtime, ctime, inode (./hash-pool.ts's worker computes the same). */
export function fileStamp(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
}
