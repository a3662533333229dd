/**
 * Runs that travel: what the CLI sends to the store before a run, beside raw uploads of the same
 * bytes to the same MinIO (`@aws-sdk/client-s3` PutObject, 8 at a time), in one run:
 *
 * - the churn example's code as a code package (`packageCode`): into an empty store, and again with
 *   the package stored already (nothing to upload);
 * - a 10,000-file dataset of small CSV files (`uploadDataset`): cold (empty store, no stat cache),
 *   and unchanged once its snapshot is recorded (as a second `mlops data snapshot` of the folder).
 *
 * The raw anchor sends every file each time: it has no way to know what the store holds.
 * Run alone with `npx tsx bench/run.ts upload`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listCodeFiles } from '../activities/code';
import { packageCode } from '../activities/code/package';
import { snapshotDataset } from '../activities/data';
import { uploadDataset } from '../client/upload-dataset';
import { measure, pool } from './measure';
import { startBenchMinio } from './minio';
import type { Comparison } from './store.bench';

const DATASET_FILES = 10_000;
const CONCURRENCY = 8;
const CODE_DIR = path.join(__dirname, '..', 'examples', 'churn');
/** Mtime given to generated files: older than the stat cache's racy window, as real datasets are. */
const OLD = new Date(Date.now() - 24 * 3600_000);

/** What the last run measured, for the section note. */
const measured = { codeFiles: 0, codeBytes: 0, dataBytes: 0, unchangedUploaded: -1 };

/** The section note for docs/benchmarks.md. */
export function uploadNotes(): string {
  return (
    `Against a MinIO started by the bench. Code: the churn example (${measured.codeFiles} code files, ` +
    `${(measured.codeBytes / 1024).toFixed(0)} KiB) packaged by \`packageCode\` into one content-addressed zip ` +
    `(listed, read, hashed, zipped, one HEAD and one put); unchanged: hashed, one HEAD, nothing sent. ` +
    `Data: ${DATASET_FILES.toLocaleString('en-US')} CSV files of 2 to 6 KiB ` +
    `(${(measured.dataBytes / 1024 ** 2).toFixed(1)} MiB), \`uploadDataset\` with ${CONCURRENCY} files at a time: ` +
    'cold is hash and one conditional put (`If-None-Match: *`, no HEAD) of every blob plus the upload manifest; unchanged (its snapshot recorded) takes ' +
    `every digest from the stat cache and the latest snapshot and uploads ${measured.unchangedUploaded} files. ` +
    `Anchor: each file read and sent with PutObject, ${CONCURRENCY} at a time, every time. ` +
    'Reproduce this section alone with `npm run bench -- upload`.'
  );
}

/** Runs the upload scenarios, each beside its raw PutObject anchor. */
export async function runUploadBench(): Promise<Comparison[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-upload-bench-'));
  const minio = await startBenchMinio(dir);
  const { s3, storeAt } = minio;
  const putEach = (files: { path: string; absolute: string }[], prefix: string) =>
    pool(files.length, CONCURRENCY, async (i) => {
      const file = files[i]!;
      const Body = await fs.promises.readFile(file.absolute);
      await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `${prefix}/${file.path}`, Body }));
    });
  try {
    const rows: Comparison[] = [];
    const codeFiles = await listCodeFiles(CODE_DIR, (problem) => new Error(problem));
    measured.codeFiles = codeFiles.length;
    measured.codeBytes = codeFiles.reduce((sum, file) => sum + file.size, 0);
    const codeRaw = (rep: number) => putEach(codeFiles, `raw-code/${rep}`);
    rows.push({
      scenario: `code package of examples/churn, empty store`,
      ours: await measure('packageCode', codeFiles.length, 'file', async (rep) => {
        await packageCode(storeAt(`code-cold-${rep}`), CODE_DIR);
      }),
      anchor: await measure(`PutObject per file, ${CONCURRENCY} at a time`, codeFiles.length, 'file', codeRaw),
    });
    const codeStore = storeAt('code-warm');
    await packageCode(codeStore, CODE_DIR);
    rows.push({
      scenario: `code package of examples/churn, unchanged (nothing to upload)`,
      ours: await measure('packageCode, stored already', codeFiles.length, 'file', async () => {
        if ((await packageCode(codeStore, CODE_DIR)).uploaded) throw new Error('unchanged code was uploaded again');
      }),
      anchor: await measure(`PutObject per file, ${CONCURRENCY} at a time`, codeFiles.length, 'file', codeRaw),
    });

    const data = path.join(dir, 'dataset');
    const dataFiles = writeCsvFiles(data, DATASET_FILES);
    measured.dataBytes = dataFiles.reduce((sum, file) => sum + file.size, 0);
    const dataRaw = (rep: number) => putEach(dataFiles, `raw-data/${rep}`);
    rows.push({
      scenario: `upload of ${DATASET_FILES.toLocaleString('en-US')} files, cold`,
      ours: await measure(
        'uploadDataset, cold',
        DATASET_FILES,
        'file',
        async (rep) => {
          await uploadDataset(storeAt(`data-cold-${rep}`), data, { dataset: 'bench', concurrency: CONCURRENCY });
        },
        3,
      ),
      anchor: await measure(`PutObject per file, ${CONCURRENCY} at a time`, DATASET_FILES, 'file', dataRaw, 3),
    });
    const dataStore = storeAt('data-warm');
    const cacheDir = path.join(dir, 'cache');
    const first = await uploadDataset(dataStore, data, { dataset: 'bench', cacheDir, concurrency: CONCURRENCY });
    await snapshotDataset(dataStore, { dataset: 'bench', source: first.source });
    rows.push({
      scenario: `upload of ${DATASET_FILES.toLocaleString('en-US')} files, unchanged`,
      ours: await measure('uploadDataset, unchanged', DATASET_FILES, 'file', async () => {
        const again = await uploadDataset(dataStore, data, { dataset: 'bench', cacheDir, concurrency: CONCURRENCY });
        measured.unchangedUploaded = again.uploadedFiles;
      }),
      anchor: await measure(`PutObject per file, ${CONCURRENCY} at a time`, DATASET_FILES, 'file', dataRaw, 3),
    });
    return rows;
  } finally {
    await minio.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `count` deterministic CSV files of 2 to 6 KiB under `dir`, 100 per folder. */
function writeCsvFiles(dir: string, count: number): { path: string; absolute: string; size: number }[] {
  const files: { path: string; absolute: string; size: number }[] = [];
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < count; i++) {
    const rel = `part-${String(Math.floor(i / 100)).padStart(3, '0')}/events-${String(i).padStart(5, '0')}.csv`;
    const absolute = path.join(dir, rel);
    if (i % 100 === 0) fs.mkdirSync(path.dirname(absolute), { recursive: true });
    const lines = ['customer_id,tenure,monthly_charges,plan,churned'];
    const rows = 60 + (next() % 120);
    for (let r = 0; r < rows; r++) {
      const plan = ['basic', 'pro', 'team'][next() % 3]!;
      lines.push(`${i * 1000 + r},${next() % 72},${(next() % 12000) / 100},${plan},${next() % 4 === 0}`);
    }
    const content = `${lines.join('\n')}\n`;
    fs.writeFileSync(absolute, content);
    fs.utimesSync(absolute, OLD, OLD);
    files.push({ path: rel, absolute, size: Buffer.byteLength(content) });
  }
  return files;
}
