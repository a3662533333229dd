/** `RayJobsBackend` against a real local Ray head and the test MinIO: the job reads and writes the store itself. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDataset } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { RayJobsBackend, rayJobIdOf, rayStoreEnv, type TrainingJob } from '../../activities/training';
import { TrainingJobNotFoundError } from '../../common/failures';
import { testRay, type TestRay } from '../support/ray';
import { testS3Config, testS3Store } from '../support/worker';
import { isAlive, tempDir, waitFor, waitForFile } from './helpers';

/** Ray jobs take a second or two to set up their runtime env. */
const JOB_MS = 60_000;

interface RayJobRow {
  submission_id: string | null;
  status: string;
  metadata?: Record<string, string>;
  runtime_env?: { working_dir?: string };
}

describe('ray training backend', function () {
  this.timeout(120_000);
  let ray: TestRay;
  let store: BlobStore;
  let backend: RayJobsBackend;
  let codeDir: string;

  before(async function () {
    ray = await testRay();
    const prefix = `ray-${randomUUID().slice(0, 8)}`;
    store = testS3Store(prefix);
    backend = new RayJobsBackend({ address: ray.address, store, storeEnv: rayStoreEnv(testS3Config(prefix)) });
  });

  beforeEach(function () {
    codeDir = tempDir('ray-code');
  });

  const job = (command: string[], extra: Partial<TrainingJob> = {}): TrainingJob => ({
    name: 'ray-test-job',
    command,
    codeDir,
    params: {},
    outputPrefix: `experiments/ray/run-${randomUUID().slice(0, 8)}/trials/1`,
    backend: 'ray',
    ...extra,
  });

  async function rayJobs(): Promise<RayJobRow[]> {
    const res = await fetch(`${ray.address}/api/jobs/`);
    assert.equal(res.status, 200);
    return (await res.json()) as RayJobRow[];
  }

  it('runs a Python job: snapshot in through MLOPS_DATA_URI, outputs, log, metrics and result.json out', async function () {
    const source = tempDir('ray-dataset');
    fs.mkdirSync(path.join(source, 'nested'));
    fs.writeFileSync(path.join(source, 'train.csv'), 'id,x\n1,2\n');
    fs.writeFileSync(path.join(source, 'nested', 'extra.txt'), 'more\n');
    const snapshot = await snapshotDataset(store, { dataset: 'churn', source });
    fs.writeFileSync(
      path.join(codeDir, 'train.py'),
      [
        'import json, os, shutil, sys',
        'data, out = os.environ["MLOPS_DATA_DIR"], os.environ["MLOPS_OUTPUT_DIR"]',
        'shutil.copy(os.path.join(data, "train.csv"), os.path.join(out, "copy.csv"))',
        'os.makedirs(os.path.join(out, "model"))',
        'open(os.path.join(out, "model", "w.bin"), "w").write(open(os.path.join(data, "nested", "extra.txt")).read())',
        'with open(os.environ["MLOPS_METRICS_FILE"], "a") as m:',
        '    m.write(json.dumps({"step": 1, "name": "loss", "value": 0.5}) + "\\n")',
        '    m.write(json.dumps({"step": 2, "name": "loss", "value": 0.25}) + "\\n")',
        'json.dump({"auc": 0.91, "loss": 0.25, "note": "ignored"}, open(os.path.join(out, "metrics.json"), "w"))',
        'facts = {"params": json.loads(os.environ["MLOPS_PARAMS"]), "job": os.environ["MLOPS_JOB_ID"],',
        '         "foo": os.environ.get("FOO"), "cwd_has_code": os.path.exists("train.py"),',
        '         "argv": sys.argv[1:]}',
        'json.dump(facts, open(os.path.join(out, "facts.json"), "w"))',
        'print("trained", flush=True)',
      ].join('\n'),
    );
    const spec = job(['python', 'train.py', '--epochs', '2'], {
      input: { dataset: 'churn', snapshot: snapshot.id.slice(0, 12) },
      params: { lr: 0.1, depth: [3, 4] },
      env: { FOO: 'bar' },
      resources: { cpu: 1, memoryMb: 64 },
    });
    const prefix = spec.outputPrefix;
    const { jobId, attached } = await backend.submit(spec, `k-basic-${randomUUID()}`);
    assert.equal(attached, false);
    assert.match(jobId, /^ray-[0-9a-f]{24}$/);
    const done = await waitFor(backend, jobId, ['succeeded', 'failed', 'cancelled'], JOB_MS);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));

    const row = (await rayJobs()).find((j) => j.submission_id === jobId);
    assert.equal(row?.metadata?.mlops_output_prefix, prefix);
    assert.match(row?.runtime_env?.working_dir ?? '', /^gcs:\/\/_ray_pkg_[0-9a-f]{32}\.zip$/);

    const metrics = await backend.metrics(jobId);
    assert.deepEqual(metrics.points, [
      { step: 1, name: 'loss', value: 0.5 },
      { step: 2, name: 'loss', value: 0.25 },
    ]);
    assert.deepEqual((await backend.metrics(jobId, metrics.next)).points, []);
    const logs = await backend.logs(jobId);
    assert.match(logs.text, /^trained$/m);
    assert.doesNotMatch(logs.text, /MLOPS_METRIC/);
    assert.deepEqual(await backend.logs(jobId, logs.next), { text: '', next: logs.next });

    const result = await backend.result(jobId);
    assert.deepEqual(result, { outputUri: `${store.uri}/${prefix}/output`, metrics: { auc: 0.91, loss: 0.25 } });
    const text = async (key: string) => (await store.getBytes(`${prefix}/${key}`)).toString('utf8');
    assert.equal(await text('output/copy.csv'), 'id,x\n1,2\n');
    assert.equal(await text('output/model/w.bin'), 'more\n');
    const facts = JSON.parse(await text('output/facts.json')) as Record<string, unknown>;
    assert.deepEqual(facts.params, { lr: 0.1, depth: [3, 4] });
    assert.equal(facts.job, jobId);
    assert.equal(facts.foo, 'bar');
    assert.equal(facts.cwd_has_code, true, 'the job runs in its shipped code folder');
    assert.deepEqual(facts.argv, ['--epochs', '2']);
    assert.match(await text('logs/job.log'), /^trained$/m);
    assert.doesNotMatch(await text('logs/job.log'), /MLOPS_METRIC/);
    assert.equal(
      await text('metrics.ndjson'),
      '{"step": 1, "name": "loss", "value": 0.5}\n{"step": 2, "name": "loss", "value": 0.25}\n',
    );
    assert.ok(await store.head(`${prefix}/result.json`));
    await store.delete(`${prefix}/logs/job.log`);
    assert.deepEqual(await backend.result(jobId), result);
    assert.equal(await store.head(`${prefix}/logs/job.log`), undefined, 'the second result() records nothing');
  });

  it('downloads the modelUri folder into MLOPS_MODEL_DIR for the command', async function () {
    const model = `experiments/ray/run-${randomUUID().slice(0, 8)}/trials/0/output`;
    await store.put(`${model}/model.joblib`, 'weights');
    await store.put(`${model}/nested/settings.json`, '{"a": 1}');
    fs.writeFileSync(
      path.join(codeDir, 'evaluate.py'),
      [
        'import json, os',
        'model, out = os.environ["MLOPS_MODEL_DIR"], os.environ["MLOPS_OUTPUT_DIR"]',
        'seen = open(os.path.join(model, "model.joblib")).read() + open(os.path.join(model, "nested", "settings.json")).read()',
        'json.dump({"seen": seen, "uri_hidden": "MLOPS_MODEL_URI" not in os.environ}, open(os.path.join(out, "seen.json"), "w"))',
      ].join('\n'),
    );
    const spec = job(['python', 'evaluate.py'], { modelUri: `${store.uri}/${model}` });
    const { jobId } = await backend.submit(spec, `k-model-${randomUUID()}`);
    const done = await waitFor(backend, jobId, ['succeeded', 'failed', 'cancelled'], JOB_MS);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));
    await backend.result(jobId);
    const seen = JSON.parse(
      (await store.getBytes(`${spec.outputPrefix}/output/seen.json`)).toString('utf8'),
    ) as unknown;
    assert.deepEqual(seen, { seen: 'weights{"a": 1}', uri_hidden: true });
    assert.match((await backend.logs(jobId)).text, /downloaded model .* \(2 files, 15 bytes\)/);
  });

  it('materializes named inputs (a snapshot and a model folder) and passes MLOPS_INPUT_<NAME>', async function () {
    const source = tempDir('ray-raw');
    fs.mkdirSync(path.join(source, 'nested'));
    fs.writeFileSync(path.join(source, 'orders.csv'), 'id,amount\n1,5\n');
    fs.writeFileSync(path.join(source, 'nested', 'regions.txt'), 'north\n');
    const snapshot = await snapshotDataset(store, { dataset: 'orders', source });
    const model = `experiments/ray/run-${randomUUID().slice(0, 8)}/trials/0/output`;
    await store.put(`${model}/model.joblib`, 'weights');
    fs.writeFileSync(
      path.join(codeDir, 'step.py'),
      [
        'import json, os',
        'raw, base, out = os.environ["MLOPS_INPUT_RAW"], os.environ["MLOPS_INPUT_BASE_MODEL"], os.environ["MLOPS_OUTPUT_DIR"]',
        'seen = {"orders": open(os.path.join(raw, "orders.csv")).read(),',
        '        "regions": open(os.path.join(raw, "nested", "regions.txt")).read(),',
        '        "model": open(os.path.join(base, "model.joblib")).read(),',
        '        "dirs": [os.path.basename(raw), os.path.basename(base), os.path.basename(os.path.dirname(raw))],',
        '        "spec_hidden": "MLOPS_INPUTS" not in os.environ}',
        'json.dump(seen, open(os.path.join(out, "seen.json"), "w"))',
      ].join('\n'),
    );
    const spec = job(['python', 'step.py'], {
      inputs: [
        { name: 'raw', snapshot: { dataset: 'orders', snapshot: 'latest' } },
        { name: 'base_model', modelUri: `${store.uri}/${model}` },
      ],
    });
    const { jobId } = await backend.submit(spec, `k-inputs-${randomUUID()}`);
    const done = await waitFor(backend, jobId, ['succeeded', 'failed', 'cancelled'], JOB_MS);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));
    await backend.result(jobId);
    const seen = JSON.parse(
      (await store.getBytes(`${spec.outputPrefix}/output/seen.json`)).toString('utf8'),
    ) as unknown;
    assert.deepEqual(seen, {
      orders: 'id,amount\n1,5\n',
      regions: 'north\n',
      model: 'weights',
      dirs: ['raw', 'base_model', 'inputs'],
      spec_hidden: true,
    });
    assert.match((await backend.logs(jobId)).text, new RegExp(`materialized snapshot ${snapshot.id.slice(0, 12)}`));
    await assert.rejects(
      backend.submit(
        job(['true'], { inputs: [{ name: 'Raw', modelUri: `${store.uri}/${model}` }] }),
        `k-${randomUUID()}`,
      ),
      { type: 'InvalidTrainingJob', message: /^inputs\[0\]\.name: / },
    );
  });

  it('refuses a modelUri outside the store, naming the field', async function () {
    await assert.rejects(backend.submit(job(['true'], { modelUri: 's3://elsewhere/x' }), `k-bad-${randomUUID()}`), {
      type: 'InvalidTrainingJob',
      message: /^modelUri: /,
    });
  });

  it('submits once per idempotency key: concurrent and later submits attach to the one Ray job', async function () {
    const counter = path.join(tempDir('ray-counter'), 'runs.txt');
    const spec = job(['sh', '-c', 'echo ran >> "$COUNTER"'], { env: { COUNTER: counter } });
    const key = `k-once-${randomUUID()}`;
    const [a, b] = await Promise.all([backend.submit(spec, key), backend.submit(spec, key)]);
    assert.equal(a.jobId, b.jobId);
    assert.equal(a.jobId, rayJobIdOf(key));
    assert.deepEqual([a.attached, b.attached].sort(), [false, true]);
    await waitFor(backend, a.jobId, ['succeeded', 'failed'], JOB_MS);
    assert.deepEqual(await backend.submit(spec, key), { jobId: a.jobId, attached: true });
    assert.equal((await rayJobs()).filter((j) => j.submission_id === a.jobId).length, 1, 'one Ray submission');
    assert.equal((await backend.status(a.jobId)).state, 'succeeded');
    assert.equal(fs.readFileSync(counter, 'utf8'), 'ran\n', 'the command ran once');
  });

  it('cancels a running job: Ray stops it and its process is gone', async function () {
    const pidFile = path.join(tempDir('ray-cancel'), 'pid');
    const spec = job(['sh', '-c', 'echo $$ > "$PID_FILE"; echo started; sleep 60'], { env: { PID_FILE: pidFile } });
    const { jobId } = await backend.submit(spec, `k-cancel-${randomUUID()}`);
    await waitFor(backend, jobId, ['running'], JOB_MS);
    await waitForFile(pidFile, JOB_MS);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(isAlive(pid));
    await backend.cancel(jobId);
    const status = await waitFor(backend, jobId, ['cancelled', 'failed', 'succeeded'], 20_000);
    assert.equal(status.state, 'cancelled');
    await backend.cancel(jobId);
    assert.equal((await backend.status(jobId)).state, 'cancelled', 'cancel is idempotent');
    const gone = Date.now() + 10_000;
    while (isAlive(pid)) {
      assert.ok(Date.now() < gone, `the job's process ${pid} is still alive`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('fails a job whose Python code raises, with exit code 1 and the last log lines', async function () {
    const script = 'for i in range(30): print(f"line {i + 1}")\nraise ValueError("learning rate must be positive")';
    fs.writeFileSync(path.join(codeDir, 'train.py'), script);
    const { jobId } = await backend.submit(job(['python', 'train.py']), `k-raise-${randomUUID()}`);
    const status = await waitFor(backend, jobId, ['succeeded', 'failed'], JOB_MS);
    assert.ok(status.state === 'failed', JSON.stringify(status));
    assert.equal(status.exitCode, 1);
    assert.match(status.reason, /^exit code 1\nlast log lines:\n/);
    assert.match(status.reason, /ValueError: learning rate must be positive$/);
    assert.match(status.reason, /line 30\n/);
    assert.doesNotMatch(status.reason, /line 5\n/, 'only the last lines');
    await assert.rejects(backend.result(jobId), { type: 'TrainingJobNotSucceeded' });
  });

  it('fails with exit code 127 when the command does not exist, saying so in the log', async function () {
    const { jobId } = await backend.submit(job(['no-such-trainer-xyz', 'train.py']), `k-missing-${randomUUID()}`);
    const status = await waitFor(backend, jobId, ['succeeded', 'failed'], JOB_MS);
    assert.ok(status.state === 'failed' && status.exitCode === 127, JSON.stringify(status));
    assert.match(status.reason, /no-such-trainer-xyz: command not found/);
    assert.match((await backend.logs(jobId)).text, /no-such-trainer-xyz/);
  });

  it('stops a job that outlives timeoutSeconds and reports it failed with reason timeout', async function () {
    const spec = job(['sh', '-c', 'echo started; sleep 60'], { timeoutSeconds: 3 });
    const { jobId } = await backend.submit(spec, `k-timeout-${randomUUID()}`);
    const status = await waitFor(backend, jobId, ['failed', 'succeeded', 'cancelled'], JOB_MS);
    assert.ok(status.state === 'failed', JSON.stringify(status));
    assert.equal(status.exitCode, null);
    assert.match(status.reason, /^timeout\nlast log lines:\n[\s\S]*started/);
    const stopped = Date.now() + 15_000;
    while ((await rayJobs()).find((j) => j.submission_id === jobId)?.status !== 'STOPPED') {
      assert.ok(Date.now() < stopped, 'the job was never stopped on the head');
      await new Promise((r) => setTimeout(r, 200));
    }
    const later = await backend.status(jobId);
    assert.ok(later.state === 'failed' && /^timeout/.test(later.reason), 'still a timeout, not a cancel, later');
  });

  it('passes resource hints to Ray: a job asking for more CPUs than the head has stays pending', async function () {
    const { jobId } = await backend.submit(job(['true'], { resources: { cpu: 3 } }), `k-cpus-${randomUUID()}`);
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(await backend.status(jobId), { state: 'pending' });
    // (Ray acts on a stop only once the job's supervisor is scheduled: this one stays until the head stops)
    await backend.cancel(jobId);
  });

  it('reports a job the head does not know as lost (failed without exit code), and refuses foreign ids', async function () {
    const status = await backend.status(rayJobIdOf(`never-submitted-${randomUUID()}`));
    assert.ok(status.state === 'failed' && status.exitCode === null, JSON.stringify(status));
    assert.match(status.reason, /no longer knows the job/);
    assert.deepEqual(await backend.logs(rayJobIdOf('never')), { text: '', next: 0 });
    await assert.rejects(backend.status('0123456789abcdef01234567'), TrainingJobNotFoundError);
    await assert.rejects(backend.logs('ray-../../etc'), TrainingJobNotFoundError);
  });

  it('throws a plain (retryable) error when the head cannot be reached', async function () {
    const nowhere = new RayJobsBackend({ address: 'http://127.0.0.1:1', store, requestTimeoutMs: 2000 });
    const err = await nowhere.status(rayJobIdOf('x')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error && !('type' in err), String(err));
    assert.match(err.message, /Ray head http:\/\/127\.0\.0\.1:1 unreachable/);
  });
});
