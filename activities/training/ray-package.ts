/**
 * The packages a Ray job needs on the head, in the form Ray unpacks a `gcs://_ray_pkg_<hash>.zip`
 * (paths relative to the folder, no top-level folder):
 *
 * - the code, as `runtime_env.working_dir`: a job's code package from the store, the same bytes
 *   (activities/code/), or, for a job with a `codeDir` on the worker, the same archive built from
 *   that folder (same files left out, same symlink rule, same size limit);
 * - the project's runner (./ray_runner.py, as the module `RUNNER_MODULE`), in `runtime_env.py_modules`,
 *   so the code package stays exactly the user's files.
 *
 * A package's name is derived from its digest, so unchanged code is uploaded once per head.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, InvalidTrainingJobError, NotFoundError } from '../../common/failures';
import { archiveFolder, buildArchive, codePackageKey, openArchive } from '../code';
import type { BlobStore } from '../storage/types';
import { PACKAGE_ROOT } from '../../lib/package-root';

/** The runner's module name: the job's entrypoint is `python -m <RUNNER_MODULE>`. */
export const RUNNER_MODULE = '_mlops_ray_runner';
// a source asset, not compiled: found from the package root whether this runs from sources or dist
const RUNNER_SOURCE = path.join(PACKAGE_ROOT, 'activities', 'training', 'ray_runner.py');

export interface RayPackage {
  /** e.g. `_ray_pkg_0123….zip`; the URI is `gcs://<name>`. */
  name: string;
  zip: Uint8Array;
}

/** The head's name of the package with `digest` (`sha256:<hex>`). */
export function rayPackageName(digest: string): string {
  return `_ray_pkg_${digest.slice('sha256:'.length, 'sha256:'.length + 32)}.zip`;
}

/** Zips `codeDir`; throws `InvalidTrainingJob` (field codeDir) when too large or when a symlink leads out. */
export async function buildPackage(codeDir: string, maxBytes?: number): Promise<RayPackage> {
  try {
    const { digest, zip } = await archiveFolder(codeDir, { field: 'codeDir', maxBytes, allowEmpty: true });
    return { name: rayPackageName(digest), zip };
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new InvalidTrainingJobError('codeDir', error.message.slice(`${error.field}: `.length));
    }
    throw error;
  }
}

/**
 * The stored package `digest`, verified (a tampered one is refused: `InvalidTrainingJob`, field
 * codePackage.digest). `has(name)` says whether the head already holds it: then nothing is downloaded.
 */
export async function storedPackage(
  store: BlobStore,
  digest: string,
  has: (name: string) => Promise<boolean>,
): Promise<{ name: string; zip?: Uint8Array }> {
  const name = rayPackageName(digest);
  if (await has(name)) return { name };
  const field = 'codePackage.digest';
  const zip = await store.getBytes(codePackageKey(digest)).catch((error: unknown) => {
    if (error instanceof NotFoundError) {
      throw new InvalidTrainingJobError(field, `the store holds no code package ${digest} (${codePackageKey(digest)})`);
    }
    throw error;
  });
  try {
    openArchive(zip, digest);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new InvalidTrainingJobError(field, error.message.slice(`${error.field}: `.length));
    throw error;
  }
  return { name, zip };
}

let runner: Promise<RayPackage> | undefined;

/** The runner as a package of one module (built once per process). */
export function runnerPackage(): Promise<RayPackage> {
  runner ??= fs.readFile(RUNNER_SOURCE).then((bytes) => {
    const { zip } = buildArchive([{ path: `${RUNNER_MODULE}.py`, bytes, executable: false }]);
    const hex = createHash('sha256').update(bytes).digest('hex');
    return { name: rayPackageName(`sha256:${hex}`), zip };
  });
  runner.catch(() => (runner = undefined));
  return runner;
}
