/**
 * Which files of a code folder are code: the one definition the code version, the code package and
 * the Ray package share. Left out: hidden files and folders (names starting with `.`: `.git`,
 * `.venv`, `.env`, `.ipynb_checkpoints`, tool caches), byte code (`*.pyc`, `*.pyo`, `__pycache__/`)
 * and installed dependencies (`venv/`, `node_modules/`). A symlinked file inside the folder is read
 * through; a symlink leading out of the folder is refused; symlinked folders are not followed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Folders never part of the code (besides every hidden one). */
const EXCLUDED_DIRS = new Set(['__pycache__', 'venv', 'node_modules']);
/** File endings never part of the code. */
const EXCLUDED_FILE_ENDINGS = ['.pyc', '.pyo'];

/** Whether a file or folder named `name` is left out of code versions and packages. */
export function isExcludedName(name: string, isDir: boolean): boolean {
  if (name.startsWith('.')) return true;
  if (EXCLUDED_DIRS.has(name)) return true;
  return !isDir && EXCLUDED_FILE_ENDINGS.some((end) => name.endsWith(end));
}

/** One file of a code folder. */
export interface CodeFile {
  /** Slash-separated, relative to the folder. */
  path: string;
  /** Where it is read from (through a symlink inside the folder, if it is one). */
  absolute: string;
  size: number;
  /** Whether its owner may execute it. */
  executable: boolean;
}

/**
 * The code files under `dir` in byte order of their paths. `fail(problem)` makes the error thrown
 * for a symlink that leads out of the folder (callers name their own field).
 */
export async function listCodeFiles(dir: string, fail: (problem: string) => Error): Promise<CodeFile[]> {
  const root = await fs.realpath(dir);
  const out: CodeFile[] = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!isExcludedName(entry.name, true)) await walk(full, rel);
        continue;
      }
      // a link is judged by its own name first: a `.venv` linked to a shared environment is left out
      if (isExcludedName(entry.name, false)) continue;
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => undefined);
        if (target === undefined) continue; // a broken link holds nothing
        const inside = path.relative(root, target);
        if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
          throw fail(`${rel} in ${dir} is a symlink to ${target}, outside the code folder: it is not packaged`);
        }
      } else if (!entry.isFile()) {
        continue;
      }
      const stat = await fs.stat(full).catch(() => undefined);
      if (!stat?.isFile()) continue;
      out.push({ path: rel, absolute: full, size: stat.size, executable: (stat.mode & 0o100) !== 0 });
    }
  };
  await walk(dir, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
