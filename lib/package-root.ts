/**
 * Where this installation lives, the same whether the code runs from its TypeScript sources (tsx,
 * the tests) or from the build output (`dist/`, what `bin/mlops.js` runs):
 * - `PACKAGE_ROOT`: the folder holding package.json (the checkout, or the installed package);
 *   non-code assets (.py files, node_modules, .tools, .venv) are found from here.
 * - `CODE_ROOT`: the folder the running JavaScript or TypeScript modules are under (`dist/` when
 *   built, else the package root); modules loaded by path (the workflows the worker bundles) are
 *   found from here.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The nearest folder at or above `start` holding a package.json named `temporal-mlops`. */
export function findPackageRoot(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'temporal-mlops') return dir;
    } catch {
      // no package.json here (or not JSON): keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of temporal-mlops above ${start}`);
  }
}

// this file is lib/package-root.ts in the sources, dist/lib/package-root.js in the build
export const CODE_ROOT = path.resolve(__dirname, '..');
export const PACKAGE_ROOT = findPackageRoot(CODE_ROOT);

/** A module under CODE_ROOT by its path without extension (`workflows/index`): the .js or the .ts file. */
export function codeModule(withoutExtension: string): string {
  const base = path.join(CODE_ROOT, withoutExtension);
  for (const ext of ['.js', '.ts']) if (fs.existsSync(base + ext)) return base + ext;
  return base + (__filename.endsWith('.ts') ? '.ts' : '.js');
}
