/**
 * A code version from the files themselves: `sha256:<hex>` over the sorted relative paths and
 * contents of every regular file under some folders. What is left out (byte code, caches, VCS
 * folders, hidden files) is the code packages' rule (activities/code/code-files.ts), so a version
 * changes only when the code does.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../../common/failures';
import { isExcludedName as skipped } from '../code/code-files';

/** The version of the files under `dirs` (their order matters, their absolute paths do not) and the file count. */
export async function codeVersionOf(dirs: readonly string[]): Promise<{ version: string; files: number }> {
  if (!Array.isArray(dirs) || dirs.length === 0)
    throw new InvalidArgumentError('dirs', 'must be a non-empty list of folders');
  const hash = createHash('sha256');
  let files = 0;
  for (const [index, dir] of dirs.entries()) {
    const isDir = await fs.stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (typeof dir !== 'string' || !isDir)
      throw new InvalidArgumentError(`dirs[${index}]`, `${String(dir)} is not a folder`);
    for (const rel of await filesUnder(dir)) {
      const file = path.join(dir, ...rel.split('/'));
      const { size } = await fs.stat(file);
      // the path and size frame the content, so no two file sets hash alike by shifting bytes
      hash.update(`${index}:${rel}\0${size}\0`);
      await hashFile(hash, file);
      files++;
    }
  }
  return { version: `sha256:${hash.digest('hex')}`, files };
}

/** Regular files under `dir` (not followed through symlinks), as slash-separated paths in byte order. */
async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skipped(entry.name, true)) out.push(...(await filesUnder(dir, child)));
    } else if (entry.isFile() && !skipped(entry.name, false)) {
      out.push(child);
    }
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function hashFile(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}
