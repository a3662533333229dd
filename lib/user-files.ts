/**
 * Reading the small files users hand the CLI and the worker (pipeline specs, job and sweep files,
 * expectations, request bodies): only a regular file, only up to a size limit checked before
 * reading, and read with a bound so a file that grows while it is read cannot take the memory.
 * A symlink is followed only when it stays inside the folder that holds it or the working
 * directory, so a link to a credentials file elsewhere is refused before a byte of it is read.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The largest spec, job or settings file read: far above any real one. @default 1 MiB */
export const MAX_USER_FILE_BYTES = 1024 * 1024;

/** Why a user file cannot be read; the message names the file and never quotes its content. */
export class UserFileError extends Error {
  override readonly name = 'UserFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export interface ReadUserFileOptions {
  /** @default MAX_USER_FILE_BYTES */
  maxBytes?: number;
  /** Folders a symlink may point into besides the link's own folder. @default [process.cwd()] */
  linkRoots?: readonly string[];
}

/** The text of `file`, a regular file of at most `maxBytes`; `UserFileError` naming the file otherwise. */
export function readUserFile(file: string, options: ReadUserFileOptions = {}): string {
  const maxBytes = options.maxBytes ?? MAX_USER_FILE_BYTES;
  let link: fs.Stats;
  try {
    link = fs.lstatSync(file);
  } catch {
    throw new UserFileError(file, 'cannot read the file');
  }
  if (link.isSymbolicLink()) checkLinkTarget(file, options.linkRoots ?? [process.cwd()]);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    throw new UserFileError(file, 'cannot read the file');
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UserFileError(file, 'not a regular file (a device, pipe or folder is not read)');
    if (stat.size > maxBytes) throw new UserFileError(file, `${stat.size} bytes, more than the limit of ${maxBytes}`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length <= maxBytes; length += n) {
      n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw new UserFileError(file, `more than the limit of ${maxBytes} bytes`);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof UserFileError) throw error;
    throw new UserFileError(file, 'cannot read the file');
  } finally {
    fs.closeSync(fd);
  }
}

function checkLinkTarget(file: string, roots: readonly string[]): void {
  let target: string;
  try {
    target = fs.realpathSync(file);
  } catch {
    throw new UserFileError(file, 'a symlink whose target cannot be read');
  }
  const folders = [path.dirname(path.resolve(file)), ...roots].map(realOrSelf);
  if (!folders.some((folder) => isInside(target, folder))) {
    throw new UserFileError(
      file,
      'a symlink to a file outside its own folder and the working directory: give the file itself',
    );
  }
}

function realOrSelf(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return path.resolve(folder);
  }
}

/** Whether `target` is `folder` or lies under it (both absolute and resolved). */
export function isInside(target: string, folder: string): boolean {
  const rel = path.relative(folder, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
