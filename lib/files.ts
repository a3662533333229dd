/**
 * File helpers shared by the folders that local jobs and model servers keep their state in: JSON
 * written atomically (temp file and rename) or exclusively (first writer wins), reads that treat a
 * missing file as absent, and the tail of a log.
 */
import fs from 'node:fs/promises';

/** Writes `value` as JSON via a temp file and rename, so readers never see half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2));
  await fs.rename(tmp, file);
}

/** Writes `value` only if `file` does not exist; returns whether this call wrote it. */
export async function writeJsonExclusive(file: string, value: unknown): Promise<boolean> {
  try {
    await fs.writeFile(file, JSON.stringify(value), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A JSON file's value, or `undefined` if it does not exist (or is still being written). */
export async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A text file's content, or `undefined` if it does not exist. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Bytes of `file` from `offset`, at most `max`; empty if the file does not exist. */
export async function readFrom(file: string, offset: number, max: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `lines` lines of `file` (from its last 16 KB). */
export async function tailLines(file: string, lines: number): Promise<string> {
  const size = await fs.stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const bytes = await readFrom(file, Math.max(0, size - 16 * 1024), 16 * 1024);
  return bytes.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
