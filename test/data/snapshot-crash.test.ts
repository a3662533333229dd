/**
 * A snapshot is durable when its ref moves, not file by file: a process SIGKILLed between writing
 * the bodies and writing the ref leaves no ref, no manifest and no torn object, and the next
 * snapshot of the same folder, in a fresh process, succeeds, verifies byte for byte, and removes
 * the staging files the dead one left. The child (./fixtures/snapshot-until.ts) parks itself at
 * the exact point and says so with a marker file, so the kill does not depend on timing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { datasetKeys, readManifest } from '../../activities/data';
import { FilesystemBlobStore } from '../../activities/storage';
import { readAll } from '../../activities/storage/body';
import { bytesOf, datasetFolder, keysUnder, tempDir } from './helpers';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'snapshot-until.ts');
/** Enough bodies that the commit takes the `syncfs` path (activities/storage/sync-fs.ts), not one fsync each. */
const SHARDS = 70;
const FILES = SHARDS + 2;
/** How long the child may take to reach its stopping point (it only hashes and writes a few MB). */
const REACH_MS = 60_000;

type Stop = 'before-commit' | 'after-commit';

describe('a snapshot killed between its body writes and its ref', function () {
  this.timeout(120_000);

  const files = () => {
    const out: Record<string, Buffer | string> = { 'train.csv': 'id,plan\n1,basic\n2,pro\n' };
    for (let i = 0; i < SHARDS; i++)
      out[`shards/part-${String(i).padStart(2, '0')}.bin`] = bytesOf(20_000 + i * 997, i + 1);
    out['big/large.bin'] = bytesOf(3 * 1024 * 1024 + 17, 99); // streamed, not held in memory
    return out;
  };

  for (const stop of ['before-commit', 'after-commit'] as const) {
    it(`(${stop}) leaves no ref and nothing torn; the next snapshot in a fresh process succeeds, verifies and clears the staging files`, async function () {
      const root = tempDir('crash-store-');
      const source = datasetFolder(files());
      const store = new FilesystemBlobStore(root);

      await killAt(root, source, stop);
      assert.equal(await store.head(datasetKeys.latest('crash')), undefined, 'no ref');
      assert.deepEqual(await keysUnder(store, datasetKeys.snapshots('crash')), [], 'no manifest');
      const staged = stagedFiles(store);
      const blobs = await keysUnder(store, datasetKeys.blobs('crash'));
      if (stop === 'before-commit') {
        assert.equal(staged.length, FILES, 'every new body staged');
        assert.deepEqual(blobs, [], 'no body at its key before the commit');
      } else {
        assert.equal(staged.length, 0, 'the commit moved every staged body into place');
        assert.equal(blobs.length, FILES);
        await verifyBlobs(store, blobs); // complete and unreferenced
      }

      const result = await snapshotInChild(root, source);
      assert.equal(result.created, true);
      assert.equal(result.fileCount, FILES);
      assert.equal(result.uploadedFiles, stop === 'before-commit' ? FILES : 0, 'complete blobs are reused');
      const latest = JSON.parse((await store.getBytes(datasetKeys.latest('crash'))).toString()) as { id: string };
      assert.equal(latest.id, result.id, 'the ref names the new snapshot');

      const manifest = await readManifest(store, 'crash', result.id);
      for (const file of manifest.files) {
        const body = await readAll(await store.get(datasetKeys.blob('crash', file.sha256)));
        assert.equal(sha256(body), file.sha256, `${file.path} reads back with its digest`);
        assert.equal(sha256(fs.readFileSync(path.join(source, ...file.path.split('/')))), file.sha256);
      }
      assert.deepEqual(stagedFiles(store), [], 'the dead process’s staging files are gone');
    });
  }
});

/** Runs the fixture until it parks at `stop`, then SIGKILLs it and waits for it to be gone. */
async function killAt(root: string, source: string, stop: Stop): Promise<void> {
  const marker = path.join(tempDir('crash-marker-'), 'parked');
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', FIXTURE, root, 'crash', source, stop, marker], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const deadline = Date.now() + REACH_MS;
  while (!fs.existsSync(marker)) {
    if (child.exitCode !== null) throw new Error(`the snapshot exited (${child.exitCode}) before ${stop}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the snapshot did not reach ${stop} in ${REACH_MS} ms: ${stderr}`);
    await sleep(20);
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

/** Snapshots `source` into the store at `root` in a new process, to the end; its result. */
async function snapshotInChild(root: string, source: string) {
  const marker = path.join(tempDir('crash-marker-'), 'unused');
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', FIXTURE, root, 'crash', source, 'none', marker], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the second snapshot failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as { id: string; created: boolean; fileCount: number; uploadedFiles: number };
}

/** Every file under the store's staging folder. */
function stagedFiles(store: FilesystemBlobStore): string[] {
  const dir = store.layout.stagingDir;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((e) => e.name);
}

async function verifyBlobs(store: FilesystemBlobStore, keys: string[]): Promise<void> {
  for (const key of keys) {
    const body = await readAll(await store.get(key));
    assert.equal(sha256(body), key.split('/').at(-1), `${key} is complete`);
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
