/**
 * The folders a snapshot may read on this worker (MLOPS_SOURCE_ROOTS; by default the project
 * folder and a filesystem store's root). A local source (a path or a `file://` URL) is resolved
 * through its symlinks first, so a link inside a root that points elsewhere (at `~/.aws`, say) is
 * judged by where it leads. Store URIs (`s3://…`) are not folders of the worker and are not checked
 * here: they are read with the store's credentials.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../common/failures';
import { isInside } from '../../lib/user-files';

/** The local folder a source names, absolute; undefined for a store URI (or a malformed file URL, refused later). */
export function localFolderOf(source: string): string | undefined {
  if (source.startsWith('file:')) {
    try {
      return fileURLToPath(source);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(source) ? source : undefined;
}

/**
 * The problem with reading `source` given the allowed `roots`, or undefined when it lies inside
 * one of them (after resolving symlinks) or is not a local folder.
 */
export function sourceRootProblem(source: string, roots: readonly string[]): string | undefined {
  const folder = localFolderOf(source);
  if (folder === undefined) return undefined;
  const real = realOrResolved(folder);
  if (roots.some((root) => isInside(real, realOrResolved(root)))) return undefined;
  const via = real === path.resolve(folder) ? '' : ` (it leads to ${real})`;
  return `${folder}${via} is outside the folders this worker may read: ${roots.join(', ') || '(none)'}; set MLOPS_SOURCE_ROOTS on the worker to allow another folder`;
}

/** Throws `DatasetSourceInvalid` naming `dataset.source` and the roots when `source` lies outside them. */
export function checkSourceRoots(source: string, roots: readonly string[] | undefined): void {
  if (roots === undefined) return;
  const problem = sourceRootProblem(source, roots);
  if (problem) throw new DataError('DatasetSourceInvalid', `dataset.source: ${problem}`, { roots: [...roots] });
}

function realOrResolved(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return path.resolve(folder);
  }
}
