/**
 * Lists the filesystem store's keys in S3 order (UTF-8 byte order of the whole key), walking
 * folders lazily: a folder is read only when the walk reaches it. Folder `a` sorts as `a/`, so
 * `a-b` and `a.txt` come before everything under `a/`, as they do on S3.
 */
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { validateKey } from './keys';
import { isMissing } from './filesystem-files';
import { RESERVED_DIR } from './filesystem-layout';
import type { ObjectInfo } from './types';

/** Reads one object's info; `undefined` when it vanished since the folder was read. */
export type InfoReader = (key: string) => Promise<ObjectInfo | undefined>;

/** Keys under `root` starting with `prefix` (already validated), with infos read `batch` at a time. */
export async function* walkKeys(
  root: string,
  prefix: string,
  readInfo: InfoReader,
  batch: number,
): AsyncGenerator<ObjectInfo> {
  if (prefix.startsWith(`${RESERVED_DIR}/`)) return; // the store's own files, never objects
  const slash = prefix.lastIndexOf('/');
  yield* walkFolder(root, prefix.slice(0, slash + 1), prefix.slice(slash + 1), readInfo, batch);
}

async function* walkFolder(
  root: string,
  folderKey: string,
  namePrefix: string,
  readInfo: InfoReader,
  batch: number,
): AsyncGenerator<ObjectInfo> {
  const entries = await readFolder(path.join(root, ...folderKey.split('/')));
  const children = entries
    .filter((entry) => entry.name.startsWith(namePrefix) && (entry.isFile() || entry.isDirectory()))
    .filter((entry) => !(folderKey === '' && entry.name === RESERVED_DIR))
    .map((entry) => ({ name: entry.name, folder: entry.isDirectory(), order: orderKey(entry) }))
    .sort((a, b) => Buffer.compare(a.order, b.order));

  let pending: string[] = [];
  for (const child of children) {
    const key = folderKey + child.name;
    if (!isUsableKey(key)) continue; // a file dropped in by hand with a name no key can have
    if (!child.folder) {
      pending.push(key);
      if (pending.length >= batch) {
        yield* resolve(pending, readInfo);
        pending = [];
      }
      continue;
    }
    yield* resolve(pending, readInfo);
    pending = [];
    yield* walkFolder(root, `${key}/`, '', readInfo, batch);
  }
  yield* resolve(pending, readInfo);
}

/** Reads infos of a batch concurrently, yielding them in order. */
async function* resolve(keys: string[], readInfo: InfoReader): AsyncGenerator<ObjectInfo> {
  if (keys.length === 0) return;
  const infos = await Promise.all(keys.map(readInfo));
  for (const info of infos) if (info) yield info;
}

async function readFolder(folder: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

function orderKey(entry: Dirent): Buffer {
  return Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name, 'utf8');
}

function isUsableKey(key: string): boolean {
  try {
    validateKey(key);
    return true;
  } catch {
    return false;
  }
}
