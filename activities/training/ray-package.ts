/**
 * The code package of a Ray job: the job's code folder plus the project's runner
 * (./ray_runner.py, at the package root as `RUNNER_FILE`), zipped the way Ray unpacks a
 * `gcs://_ray_pkg_<hash>.zip` working_dir (paths relative to the folder, no top-level folder).
 * The name is a digest of the paths and contents, so unchanged code is uploaded once per head.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { InvalidTrainingJobError } from '../../common/failures';

/** The runner's file name inside the package (the job's entrypoint). */
export const RUNNER_FILE = '_mlops_ray_runner.py';
const RUNNER_SOURCE = path.join(__dirname, 'ray_runner.py');

/** Folders never shipped: version control, caches, virtual environments. */
const SKIPPED = new Set(['.git', '__pycache__', '.venv', 'venv', 'node_modules', '.mypy_cache', '.pytest_cache']);
/** Ray keeps packages in its GCS; larger code belongs in an image or the object store. */
const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;
/** A fixed modification time, so the same files always make the same zip. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

export interface RayPackage {
  /** e.g. `_ray_pkg_0123….zip`; the working_dir URI is `gcs://<name>`. */
  name: string;
  zip: Uint8Array;
}

/** Zips `codeDir` and the runner; throws `InvalidTrainingJob` (field codeDir) when too large. */
export async function buildPackage(codeDir: string): Promise<RayPackage> {
  const files = await readTree(codeDir);
  files.set(RUNNER_FILE, await fs.readFile(RUNNER_SOURCE));
  const hash = createHash('sha256');
  const entries: Zippable = Object.create(null) as Zippable; // a file may be named __proto__
  for (const rel of [...files.keys()].sort()) {
    const bytes = files.get(rel)!;
    hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
    entries[rel] = [bytes, { mtime: FIXED_MTIME }];
  }
  return { name: `_ray_pkg_${hash.digest('hex').slice(0, 32)}.zip`, zip: zipSync(entries, { level: 6 }) };
}

/**
 * Regular files under `dir` by slash-separated relative path. A symlinked file inside the folder is
 * read through; a symlink that leads out of it is refused (it would ship, say, `~/.aws/credentials`
 * to the Ray cluster). Symlinked folders are not followed.
 */
async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const root = await fs.realpath(dir);
  let total = 0;
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) await walk(full, rel);
        continue;
      }
      if (entry.isSymbolicLink()) {
        if (SKIPPED.has(entry.name)) continue; // e.g. a .venv linked to a shared environment
        const target = await fs.realpath(full).catch(() => undefined);
        if (target === undefined) continue; // a broken link ships nothing
        const inside = path.relative(root, target);
        if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
          throw new InvalidTrainingJobError(
            'codeDir',
            `${rel} in ${dir} is a symlink to ${target}, outside the code folder: it is not shipped to Ray`,
          );
        }
      }
      const stat = await fs.stat(full).catch(() => undefined);
      if (!stat?.isFile()) continue;
      total += stat.size;
      if (total > MAX_PACKAGE_BYTES) {
        throw new InvalidTrainingJobError('codeDir', `${dir} holds more than 100 MiB: too large to ship to Ray`);
      }
      out.set(rel, await fs.readFile(full));
    }
  };
  await walk(dir, '');
  return out;
}
