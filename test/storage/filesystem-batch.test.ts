/**
 * The filesystem store's write batches (activities/storage/filesystem-batch.ts): a body put into a
 * batch is invisible until the commit makes it durable and moves it into place, and what a dead
 * writer left in its staging folder, torn or whole, never becomes an object.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore, NotFoundError } from '../../activities/storage';
import { readAll } from '../../activities/storage/body';
import { STALE_STAGING_MS, sweepStaleStaging } from '../../activities/storage/filesystem-batch';
import { listAll } from './helpers';

const body = Buffer.from('a body of some bytes, '.repeat(500));
const digest = sha256(body);
const key = `datasets/d/blobs/sha256/${digest.slice(0, 2)}/${digest}`;

describe('FilesystemBlobStore write batches', function () {
  let root: string;
  let store: FilesystemBlobStore;

  beforeEach(async function () {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-fs-batch-'));
    store = new FilesystemBlobStore(root);
  });

  afterEach(async function () {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('keeps a put body out of sight until the commit, then serves it with its sha256 as etag', async function () {
    const batch = store.openBatch();
    assert.deepEqual(await batch.putIfAbsent(key, body, digest), { created: true });
    assert.deepEqual(await batch.putIfAbsent(key, body, digest), { created: false }, 'the same key once per batch');
    assert.equal(await store.head(key), undefined);
    await assert.rejects(store.get(key), NotFoundError);
    assert.deepEqual(await listAll(store, 'datasets/'), []);

    await batch.commit();
    assert.equal((await store.head(key))?.etag, digest);
    assert.equal(sha256(await readAll(await store.get(key))), digest);
    assert.deepEqual(await fs.readdir(store.layout.stagingDir), [], 'nothing left staged');
    assert.deepEqual(await store.openBatch().putIfAbsent(key, body, digest), { created: false }, 'present: not sent');
  });

  it('never takes a torn staging file of a dead writer for the object, and removes it', async function () {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const dead = path.join(store.layout.stagingDir, `${deadPid}@${os.hostname()}.${randomUUID()}`);
    await fs.mkdir(dead, { recursive: true });
    await fs.writeFile(path.join(dead, '0'), body.subarray(0, body.length / 2)); // killed mid-write
    assert.equal(await store.head(key), undefined, 'a staging file is not an object');
    assert.deepEqual(await listAll(store, ''), []);

    const batch = store.openBatch();
    assert.deepEqual(await batch.putIfAbsent(key, body, digest), { created: true });
    assert.equal(existsSync(dead), false, 'the dead writer’s staging folder is swept when a batch opens');
    await batch.commit();
    assert.equal(sha256(await readAll(await store.get(key))), digest, 'the object is the whole body');
  });

  it('drops what is staged on abort, and a failing body leaves nothing behind', async function () {
    const batch = store.openBatch();
    await batch.putIfAbsent(key, body, digest);
    const failing = async () => {
      throw new Error('source changed');
    };
    await assert.rejects(batch.putIfAbsent('datasets/d/blobs/other', failing, 'f'.repeat(64)), /source changed/);
    await batch.abort();
    assert.deepEqual(await fs.readdir(store.layout.stagingDir), []);
    await batch.commit(); // nothing left to commit
    assert.equal(await store.head(key), undefined);
  });

  it('keeps the staging folder of a live writer and removes one nobody touched for an hour', async function () {
    const live = path.join(store.layout.stagingDir, `${process.ppid}@${os.hostname()}.${randomUUID()}`);
    const abandoned = path.join(store.layout.stagingDir, `4242@another-host.${randomUUID()}`);
    await fs.mkdir(live, { recursive: true });
    await fs.mkdir(abandoned, { recursive: true });
    const old = new Date(Date.now() - STALE_STAGING_MS - 60_000);
    await fs.utimes(abandoned, old, old);
    assert.equal(await sweepStaleStaging(store.layout.stagingDir), 1);
    assert.equal(existsSync(live), true);
    assert.equal(existsSync(abandoned), false);
  });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
