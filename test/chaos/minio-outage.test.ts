/**
 * The object store goes away for 20 s: a MinIO of this test's own is SIGKILLed (the process ends,
 * its port closes) and started again on the same port and data folder, once in the middle of a
 * dataset snapshot run by an `mlops worker` process, once in the middle of concurrent registry
 * writes. The activities fail, are retried, and the runs complete; nothing is corrupt: the
 * snapshot restores with every digest verified, versions are consecutive with no gap or
 * duplicate, the champion alias points where the run put it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ModelRegistry } from '../../activities/registry';
import { modelKeys } from '../../activities/registry/keys';
import { S3BlobStore } from '../../activities/storage';
import { RestartableMinio, collectOutput, startedAttempts } from '../support/chaos-servers';
import type { registerVersions } from '../support/chaos-workflows';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { quietLogger as quiet } from '../support/loggers';

const OUTAGE_MS = 20_000;
const FILES = 1200;

describe('MinIO stopped for 20 s under a snapshot and under registry writes', function () {
  this.timeout(240_000);
  const prefix = `chaos-minio-${randomUUID().slice(0, 8)}`;
  let minio: RestartableMinio;
  let store: S3BlobStore;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let worker: ChildProcess;
  let workerOutput: { text: () => string };
  const teardown = suiteTeardown();

  /** An outage: MinIO killed, down for 20 s (`during` runs meanwhile), then started on the same port and data. */
  const outage = async (during: () => Promise<void>) => {
    const killed = await minio.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    const back = Date.now() + OUTAGE_MS;
    await during();
    await sleep(Math.max(0, back - Date.now()));
    await minio.start();
  };

  /** Waits until the run's pending activity has failed at least once on the missing store. */
  const failingOnTheStore = async (workflowId: string, activityTypes: string[]) => {
    const handle = testStack().env.client.workflow.getHandle(workflowId);
    const deadline = Date.now() + OUTAGE_MS - 2000;
    for (;;) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const failing = pending.find((a) => activityTypes.includes(a.activityType?.name ?? '') && (a.attempt ?? 1) > 1);
      if (failing) return failing;
      assert.ok(
        Date.now() < deadline,
        `no retried ${activityTypes.join('/')} in the outage: ${JSON.stringify(pending)}`,
      );
      await sleep(250);
    }
  };

  before(async function () {
    const { tmpDir } = testStack();
    dir = fs.mkdtempSync(path.join(tmpDir, 'chaos-minio-'));
    minio = await RestartableMinio.create(dir, 'chaos');
    // kills whichever MinIO process is up at the end (the tests kill and restart it)
    teardown.add('MinIO', () => minio.kill('SIGTERM'));
    await minio.start();
    store = new S3BlobStore({
      bucket: minio.bucket,
      prefix,
      clientConfig: {
        endpoint: minio.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
      },
    });
    teardown.add('the S3 client', () => store.destroy());
    env = cliEnv(prefix, minio.storeEnv(prefix));
    // a real `mlops worker`, its bundle the project's workflows plus the registry workload
    const bundle = path.join(dir, 'workflow-bundle.js');
    fs.writeFileSync(
      bundle,
      (await bundleWorkflowCode({ workflowsPath: require.resolve('../support/chaos-workflows'), logger: quiet })).code,
    );
    worker = startCli(['worker', '--bundle', bundle], env);
    teardown.add('the worker', () => void (worker.exitCode === null && worker.kill('SIGKILL')));
    workerOutput = collectOutput(worker);
    for (const deadline = Date.now() + 45_000; !/worker polling/.test(workerOutput.text()); await sleep(200))
      assert.ok(Date.now() < deadline && worker.exitCode === null, `worker did not start:\n${workerOutput.text()}`);
  });

  it('resumes a snapshot interrupted mid-upload, and the snapshot restores with every digest verified', async () => {
    const source = path.join(dir, 'many-files');
    const digests = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const name = `part-${String(Math.floor(i / 100)).padStart(2, '0')}/file-${String(i).padStart(5, '0')}.bin`;
      const body = randomBytes(4096);
      fs.mkdirSync(path.join(source, path.dirname(name)), { recursive: true });
      fs.writeFileSync(path.join(source, name), body);
      digests.set(name, createHash('sha256').update(body).digest('hex'));
    }
    const started = await runCli(['--json', 'data', 'snapshot', 'many', source, '--worker-path', '--no-wait'], env);
    assert.equal(started.code, 0, started.stderr);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };

    // mid-way: some file bodies stored, not all
    let stored = 0;
    for (const deadline = Date.now() + 60_000; stored < FILES / 10; await sleep(100)) {
      stored = await countKeys(store, 'datasets/many/blobs/');
      assert.ok(Date.now() < deadline, `the snapshot never got going (${stored} blobs)`);
    }
    let storedAtKill = 0;
    await outage(async () => {
      // (counted from the data folder: MinIO is down) the snapshot stopped short of the end
      storedAtKill = countFiles(path.join(minio.settings.dataDir, minio.bucket, prefix, 'datasets', 'many', 'blobs'));
      const failing = await failingOnTheStore(workflowId, ['snapshotDataset']);
      assert.match(failing.lastFailure?.message ?? '', /ECONNREFUSED|connect|socket|network/i);
    });
    assert.ok(storedAtKill < FILES, `the outage came too late: all ${storedAtKill} files were stored`);

    const handle = testStack().env.client.workflow.getHandle(workflowId);
    const result = (await handle.result()) as { snapshot: { id: string; fileCount: number; totalBytes: number } };
    assert.equal(result.snapshot.fileCount, FILES);
    assert.equal(result.snapshot.totalBytes, FILES * 4096);
    const attempts = await startedAttempts(handle, 'snapshotDataset');
    assert.ok(attempts.at(-1)! > 1, `the snapshot activity was retried: attempts ${attempts.join(', ')}`);

    const restored = path.join(dir, 'restored');
    const materialized = await runCli(['--json', 'data', 'materialize', 'many', result.snapshot.id, restored], env);
    assert.equal(materialized.code, 0, materialized.stderr);
    assert.equal(JSON.parse(materialized.stdout).fileCount, FILES);
    for (const [name, digest] of digests) {
      const body = fs.readFileSync(path.join(restored, name));
      assert.equal(createHash('sha256').update(body).digest('hex'), digest, name);
    }
    const shown = await runCli(['--json', 'data', 'list', 'many'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const snapshots = (JSON.parse(shown.stdout) as { snapshots: { id: string }[] }).snapshots;
    assert.deepEqual(
      snapshots.map((s) => s.id),
      [result.snapshot.id],
      'one snapshot, the one the run reported',
    );
    assert.equal(worker?.exitCode, null, 'the worker kept running');
  });

  it('finishes registrations interrupted by the outage: consecutive versions, no duplicates, the champion moved', async () => {
    const model = 'churn-chaos';
    const registry = new ModelRegistry(store);
    const artifactUri = `${store.uri}/artifacts/m`;
    await store.put('artifacts/m/model.joblib', 'model');
    const client = testStack().env.client;
    const register = (id: string, runs: string[]) =>
      client.workflow.start<typeof registerVersions>('registerVersions', {
        workflowId: `${prefix}-${id}`,
        taskQueue: env.MLOPS_TASK_QUEUE!,
        args: [{ model, artifactUri, runs }],
      });

    const before = await (await register('before', ['run-1', 'run-2', 'run-3'])).result();
    assert.deepEqual([...before.versions].sort(), [1, 2, 3]);

    const runs = ['run-4', 'run-5', 'run-6', 'run-7', 'run-8', 'run-9'];
    const during = await register('during', runs);
    // the outage begins once the first of these records is written: the others are in flight
    for (const deadline = Date.now() + 30_000; !(await store.head(modelKeys.version(model, 4))); await sleep(20))
      assert.ok(Date.now() < deadline, 'version 4 never appeared');
    await outage(async () => {
      const failing = await failingOnTheStore(during.workflowId, ['registerModel', 'setModelStatus', 'setModelAlias']);
      assert.match(failing.lastFailure?.message ?? '', /ECONNREFUSED|connect|socket|network/i);
    });
    const result = await during.result();
    assert.deepEqual([...result.versions].sort(), [4, 5, 6, 7, 8, 9]);
    assert.equal(result.champion, 9);

    // the same registrations again (a pipeline retried from the start): the same versions, none added
    const again = await (await register('again', runs)).result();
    assert.deepEqual(again.versions, result.versions);

    const versions = await registry.listVersions(model);
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
      'consecutive, no gaps',
    );
    const runsOf = versions.map((v) => v.pipelineRun);
    assert.equal(new Set(runsOf).size, 9, `one version per run: ${runsOf.join(', ')}`);
    assert.ok(
      versions.every((v) => v.status === 'approved'),
      JSON.stringify(versions.map((v) => v.status)),
    );
    // the audit trail tells each version's story once: registered, then approved
    for (const v of versions) {
      const actions = (await registry.describeVersion(model, v.version)).audit.map((a) => a.action);
      assert.deepEqual(
        actions.filter((a) => a === 'register' || a === 'status'),
        ['register', 'status'],
        `v${v.version}: ${actions.join(', ')}`,
      );
    }
    const champion = await registry.describeVersion(model, 'champion');
    assert.equal(champion.version.version, 9);
    assert.deepEqual(champion.aliases, ['champion']);
    assert.deepEqual((await registry.describeVersion(model, 3)).aliases, []);
    assert.equal(worker?.exitCode, null, 'the worker kept running');
  });
});

/** Files under `dir`, recursively (0 when it does not exist). */
function countFiles(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

/** Objects under `prefix` in `store`. */
async function countKeys(store: S3BlobStore, prefix: string): Promise<number> {
  let n = 0;
  for await (const info of store.list(prefix)) if (info.key) n++;
  return n;
}
