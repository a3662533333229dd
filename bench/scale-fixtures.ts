/**
 * Data for bench/scale.bench.ts: folders of many small text files (64 to 256 bytes each, not CSV so no profile is made, every body
 * different), 1,000 per sub-folder, generated once under the temp folder and reused by later runs
 * (keyed by the file count; a `complete` marker says the folder is whole). Writing a million files
 * takes a minute or two, so it is done with plain synchronous writes and no per-file metadata calls.
 * Run alone with `npx tsx bench/scale-fixtures.ts <count>…` to prepare folders ahead of a bench run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PER_FOLDER = 1000;
const MIN_SIZE = 64;
const SIZE_SPREAD = 193;
/** Files modified this recently are not cached by a snapshot (activities/data/file-stamp.ts RACY_MS). */
const SETTLE_MS = 1100;

/** The folder of `count` generated files (created on first use); its data is in `<folder>/data`. */
export async function scaleFixture(count: number): Promise<string> {
  const root = path.join(os.tmpdir(), `mlops-scale-${count}`);
  const data = path.join(root, 'data');
  if (fs.existsSync(path.join(root, 'complete'))) return data;
  fs.rmSync(root, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    if (i % PER_FOLDER === 0) fs.mkdirSync(path.join(data, folderOf(i)), { recursive: true });
    fs.writeFileSync(fileOf(data, i), bodyOf(i, 0));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  fs.writeFileSync(path.join(root, 'complete'), `${count}\n`);
  return data;
}

/** The path of generated file `i` under `data`. */
export function fileOf(data: string, i: number): string {
  return path.join(data, folderOf(i), `${String(i).padStart(7, '0')}.txt`);
}

/** Rewrites every `every`-th file with a body of revision `revision` (different from every other); returns how many. */
export function rewriteEvery(data: string, count: number, every: number, revision: number): number {
  let n = 0;
  for (let i = 0; i < count; i += every, n++) fs.writeFileSync(fileOf(data, i), bodyOf(i, revision));
  return n;
}

function folderOf(i: number): string {
  return `part-${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`;
}

/** A text body of 64 to 256 bytes that names the file and revision, so no two bodies are equal. */
function bodyOf(i: number, revision: number): string {
  const size = MIN_SIZE + ((i * 37 + revision * 11) % SIZE_SPREAD);
  const head = `id,revision,value\n${i},${revision},`;
  return head + 'x'.repeat(Math.max(0, size - head.length - 1)) + '\n';
}

if (require.main === module) {
  void (async () => {
    for (const arg of process.argv.slice(2)) {
      const started = Date.now();
      const data = await scaleFixture(Number(arg));
      console.log(`${data}: ${arg} files (${Date.now() - started} ms)`);
    }
  })();
}
