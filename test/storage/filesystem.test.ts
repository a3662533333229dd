/**
 * What only the filesystem store has to get right: locks shared by processes (and left behind
 * by dead ones), etag records kept beside bodies, and the folder layout under its root.
 * The behaviour common to all stores is in ./blob-store-contract.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidKeyError } from '../../common/failures';
import { FilesystemBlobStore } from '../../activities/storage';
import { LockTimeoutError } from '../../common/failures';
import type { PutIfAbsentResult } from '../../activities/storage/types';
import { listAll, sha256Of } from './helpers';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'cas-increment.ts');
const PUT_IF_ABSENT_FIXTURE = path.join(__dirname, 'fixtures', 'put-if-absent.ts');

describe('FilesystemBlobStore', function () {
  let root: string;
  let store: FilesystemBlobStore;

  beforeEach(async function () {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-fs-store-'));
    store = new FilesystemBlobStore(root);
  });

  afterEach(async function () {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('loses no update when two processes increment one counter at the same time', async function () {
    this.timeout(30_000);
    const [workers, increments] = [4, 10];
    const children = [0, 1].map(() => startIncrementer(root, 'counters/shared', workers, increments));
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const attempts = await Promise.all(children.map((child) => child.done));
    assert.equal((await store.getBytes('counters/shared')).toString(), String(2 * workers * increments));
    assert.ok(
      attempts.every((n) => n > workers * increments),
      `no lost race at all: ${attempts.join(', ')}`,
    );
  });

  it('lets exactly one of several processes create each key with putIfAbsent, with its etag recorded', async function () {
    this.timeout(30_000);
    const [keys, workers] = [20, 4];
    const children = ['p0', 'p1', 'p2'].map((name) =>
      startFixture(PUT_IF_ABSENT_FIXTURE, [root, name, String(keys), String(workers)]),
    );
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const outputs = await Promise.all(children.map((child) => child.done));
    const results = outputs.map((out) => JSON.parse(/results (.*)/.exec(out)![1]!) as PutIfAbsentResult[][]);
    for (let k = 0; k < keys; k++) {
      const key = `datasets/d/blobs/${k}`;
      const winners = results.flatMap((perProcess, p) => perProcess[k]!.filter((r) => r.created).map(() => p));
      assert.equal(winners.length, 1, `${key}: ${winners.length} created it`);
      const body = `p${winners[0]} ${key}`;
      assert.equal((await store.getBytes(key)).toString(), body);
      const info = await store.head(key);
      assert.equal(info?.etag, sha256(body));
      assert.ok(results.every((perProcess) => perProcess[k]!.every((r) => r.etag === info?.etag)));
    }
    assert.deepEqual(await fs.readdir(store.layout.tmpDir), []);
  });

  it('creates with putIfAbsent without taking the key lock, and writes the record with the object', async function () {
    // A live lock on the key would make a locked write wait (and time out here).
    const impatient = new FilesystemBlobStore(root, { timeoutMs: 300 });
    await writeLock(store, 'datasets/d/blobs/x', { host: os.hostname(), pid: process.ppid, token: 'someone else' });
    assert.deepEqual(await impatient.putIfAbsent('datasets/d/blobs/x', 'x'), { created: true, etag: sha256('x') });
    const record = JSON.parse(await fs.readFile(store.layout.metaPath('datasets/d/blobs/x'), 'utf8')) as {
      etag: string;
    };
    assert.equal(record.etag, sha256('x'));
    assert.deepEqual(await impatient.putIfAbsent('datasets/d/blobs/x', 'y'), { created: false, etag: sha256('x') });
    await assert.rejects(impatient.putIfAbsent('datasets/d/blobs/x/y', 'z'), InvalidKeyError);
    await assert.rejects(impatient.putIfAbsent('datasets/d', 'z'), InvalidKeyError);
    assert.deepEqual(await fs.readdir(store.layout.tmpDir), []);
  });

  it('breaks a lock left behind by a dead process on this host at once', async function () {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeLock(store, 'refs/main', { host: os.hostname(), pid: deadPid, token: 'dead' });
    const started = Date.now();
    await store.put('refs/main', 'v1');
    assert.ok(Date.now() - started < 2_000);
    assert.equal(existsSync(store.layout.lockFile('refs/main')), false);
  });

  it('breaks a lock that carries its own pid but a token it never issued (a restarted container)', async function () {
    await writeLock(store, 'refs/main', { host: os.hostname(), pid: process.pid, token: 'previous incarnation' });
    await store.put('refs/main', 'v1');
    assert.equal((await store.getBytes('refs/main')).toString(), 'v1');
  });

  it('breaks a lock that nobody has refreshed for staleMs', async function () {
    const quick = new FilesystemBlobStore(root, { staleMs: 500 });
    await writeLock(store, 'refs/main', { host: 'another-host', pid: 1, token: 'gone' });
    const longAgo = new Date(Date.now() - 60_000);
    await fs.utimes(store.layout.lockFile('refs/main'), longAgo, longAgo);
    assert.deepEqual(await quick.compareAndSwap('refs/main', null, 'v1'), {
      swapped: true,
      etag: sha256('v1'),
    });
  });

  it('waits for a live lock, then gives up with LockTimeoutError and leaves no temp file', async function () {
    const impatient = new FilesystemBlobStore(root, { timeoutMs: 300 });
    // The parent process (mocha's launcher) is alive for the whole test: a live owner on this host.
    await writeLock(store, 'refs/main', { host: os.hostname(), pid: process.ppid, token: 'someone else' });
    await assert.rejects(impatient.put('refs/main', 'v1'), LockTimeoutError);
    assert.deepEqual(await fs.readdir(store.layout.tmpDir), []);
    await fs.rm(store.layout.lockFile('refs/main'));
    await impatient.put('refs/main', 'v1');
  });

  it('rebuilds a lost or outdated etag record from the body', async function () {
    const { etag } = await store.put('models/m/aliases.json', '{"champion":1}');
    await fs.rm(store.layout.metaPath('models/m/aliases.json'));
    assert.equal((await store.head('models/m/aliases.json'))?.etag, etag);
    assert.ok(existsSync(store.layout.metaPath('models/m/aliases.json')));

    await fs.writeFile(store.layout.objectPath('models/m/aliases.json'), '{"champion":2}');
    const edited = sha256('{"champion":2}');
    assert.equal((await store.head('models/m/aliases.json'))?.etag, edited);
    assert.deepEqual(await store.compareAndSwap('models/m/aliases.json', etag, '{}'), {
      swapped: false,
      currentEtag: edited,
    });
  });

  it('never lists its own files and refuses keys under .blobstore/', async function () {
    await store.put('a/b', 'x');
    await fs.writeFile(path.join(store.layout.tmpDir, 'left-by-a-crash.tmp'), 'partial');
    assert.deepEqual(
      (await listAll(store, '')).map((info) => info.key),
      ['a/b'],
    );
    assert.deepEqual(await listAll(store, '.blobstore/'), []);
    await assert.rejects(store.head('.blobstore/tmp/left-by-a-crash.tmp'), InvalidKeyError);
    await assert.rejects(store.put('.blobstore/meta', 'x'), InvalidKeyError);
  });

  it('clears temp files that a crashed writer left over an hour ago, on its first write', async function () {
    await fs.mkdir(store.layout.tmpDir, { recursive: true });
    const [old, fresh] = ['crashed.tmp', 'in-progress.tmp'].map((name) => path.join(store.layout.tmpDir, name));
    await fs.writeFile(old!, 'partial');
    await fs.writeFile(fresh!, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(old!, twoHoursAgo, twoHoursAgo);
    await new FilesystemBlobStore(root).put('k', 'v');
    assert.deepEqual(await fs.readdir(store.layout.tmpDir), ['in-progress.tmp']);
  });

  it('refuses a key that needs a folder where an object is, and the reverse', async function () {
    await store.put('a', 'object a');
    await assert.rejects(store.put('a/b', 'x'), InvalidKeyError);
    await store.put('c/d', 'object c/d');
    await assert.rejects(store.compareAndSwap('c', null, 'x'), InvalidKeyError);
    assert.equal((await store.getBytes('a')).toString(), 'object a');
    assert.deepEqual(await fs.readdir(store.layout.tmpDir), []);
  });

  it('removes folders that a delete leaves empty, and keeps keys inside its root', async function () {
    await store.put('x/y/z', 'deep');
    await store.put('x/keep', 'sibling');
    await store.delete('x/y/z');
    assert.equal(existsSync(path.join(root, 'x', 'y')), false);
    assert.ok(existsSync(path.join(root, 'x', 'keep')));
    await assert.rejects(store.put('../escape', 'x'), InvalidKeyError);
    assert.equal(existsSync(path.join(root, '..', 'escape')), false);
  });

  it('keeps serving a body that is being read while a new one replaces it', async function () {
    const first = Buffer.alloc(4 * 1024 * 1024, 1);
    await store.put('datasets/d/snapshot', first);
    const reading = await store.get('datasets/d/snapshot');
    await store.put('datasets/d/snapshot', Buffer.alloc(4 * 1024 * 1024, 2));
    assert.equal(await sha256Of(reading), sha256(first));
  });
});

function sha256(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

async function writeLock(store: FilesystemBlobStore, key: string, content: object): Promise<void> {
  await fs.mkdir(store.layout.lockDir, { recursive: true });
  await fs.writeFile(store.layout.lockFile(key), JSON.stringify(content));
}

/** Starts the incrementer; `go()` releases it once `ready` resolved; `done` gives its attempts. */
function startIncrementer(root: string, key: string, workers: number, increments: number) {
  const child = startFixture(FIXTURE, [root, key, String(workers), String(increments)]);
  return { ...child, done: child.done.then((stdout) => Number(/attempts (\d+)/.exec(stdout)?.[1])) };
}

/** Starts a fixture process; `go()` releases it once `ready` resolved; `done` gives its output. */
function startFixture(fixture: string, args: string[]) {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', fixture, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? -1));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => stdout.includes('ready\n') && resolve());
    void exited.then((code) => reject(new Error(`fixture exited with ${code} before ready: ${stderr}`)), reject);
  });
  const done = exited.then((code) => {
    if (code !== 0) throw new Error(`fixture exited with ${code}: ${stderr}`);
    return stdout;
  });
  void done.catch(() => undefined); // observed by the test; this only keeps an early failure from going unhandled
  return { ready, done, go: () => child.stdin.end('go\n') };
}
