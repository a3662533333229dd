/**
 * `materializeCode`: a code package, by digest, as a folder on the host that runs a job. One folder
 * per digest under a cache root, `<cacheRoot>/<hex>/`, made once: the package is downloaded,
 * verified against its digest (./archive.ts), written into a private temporary folder and renamed
 * into place, so a folder that exists is complete. Of two materializers racing on one host, the
 * second rename fails and that one discards its copy. Files are written read-only (0444, 0555 for
 * executables), so a job cannot change the code the next job of the same digest runs; folders stay
 * writable (Python may add its byte-code caches).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../../common/failures';
import type { BlobStore } from '../storage/types';
import { openArchive } from './archive';
import { codePackageKey, isCodeDigest } from './manifest';

/** Where a materialized package is, and whether this call downloaded it. */
export interface MaterializedCode {
  dir: string;
  downloaded: boolean;
}

/**
 * The folder holding the package `digest`, downloaded and verified on first use. Refuses
 * (`InvalidArgument`, field `digest`) a malformed digest, a package the store lacks and one that does
 * not match its digest; store errors stay retryable.
 */
export async function materializeCode(store: BlobStore, digest: string, cacheRoot: string): Promise<MaterializedCode> {
  if (!isCodeDigest(digest)) {
    throw new InvalidArgumentError('digest', `must be sha256: and 64 hex digits (got ${JSON.stringify(digest)})`);
  }
  const dir = path.join(cacheRoot, digest.slice('sha256:'.length));
  if (await isDirectory(dir)) return { dir, downloaded: false };
  const zip = await store.getBytes(codePackageKey(digest)).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new InvalidArgumentError('digest', `the store holds no code package ${digest} (${codePackageKey(digest)})`);
    }
    throw error;
  });
  const { manifest, files } = openArchive(zip, digest);
  await fs.mkdir(cacheRoot, { recursive: true });
  const staging = `${dir}.tmp-${randomUUID().slice(0, 8)}`;
  try {
    await fs.mkdir(staging);
    for (const entry of manifest.files) {
      const target = path.join(staging, ...entry.path.split('/'));
      // openArchive refused unsafe paths; this keeps the guarantee local
      if (!target.startsWith(`${staging}${path.sep}`)) throw new Error(`unsafe path ${entry.path}`);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, files.get(entry.path)!, { flag: 'wx', mode: entry.executable ? 0o555 : 0o444 });
    }
    await fs.rename(staging, dir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    // another materializer of the same digest got there first: its folder is the same code
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDirectory(dir))) return { dir, downloaded: true };
    throw error;
  }
  return { dir, downloaded: true };
}

async function isDirectory(dir: string): Promise<boolean> {
  return fs.stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * A job's own working copy of a materialized package at `dest` (which must not exist): the same
 * folders, each file hard-linked to the cached one (copied where links cannot go, e.g. another
 * filesystem). The job may add files to its copy; the code files stay read-only and shared.
 */
export async function workingCopy(source: string, dest: string): Promise<void> {
  await fs.mkdir(dest);
  for (const entry of await fs.readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) {
      await workingCopy(from, to);
    } else if (entry.isFile()) {
      await fs.link(from, to).catch(async (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV' && (error as NodeJS.ErrnoException).code !== 'EPERM') {
          throw error;
        }
        await fs.copyFile(from, to);
        await fs.chmod(to, (await fs.stat(from)).mode & 0o777);
      });
    }
  }
}
