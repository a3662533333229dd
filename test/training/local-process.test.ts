/** `LocalProcessBackend`: detached jobs, idempotent submit, env contract, logs/metrics, failures, cancel, re-attach. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDataset } from '../../activities/data';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { createTrainingBackend, LocalProcessBackend, type TrainingBackend } from '../../activities/training';
import { TrainingJobNotFoundError } from '../../common/failures';
import { testS3Store } from '../support/worker';
import { isAlive, shellJob, tempDir, untilFile, waitFor, waitForFile } from './helpers';

describe('local process training backend', function () {
  this.timeout(20_000);
  let store: BlobStore;
  let workRoot: string;
  let codeDir: string;
  let backend: TrainingBackend;

  beforeEach(function () {
    store = new FilesystemBlobStore(tempDir('store'));
    workRoot = tempDir('jobs');
    codeDir = tempDir('code');
    backend = createTrainingBackend('local', { store, workRoot, killGraceMs: 500 });
  });

  it('runs a job from pending/running to succeeded', async function () {
    const { jobId, attached } = await backend.submit(shellJob(codeDir, `${untilFile('go')}; echo done`), 'k-basic');
    assert.equal(attached, false);
    const running = await backend.status(jobId);
    assert.equal(running.state, 'running');
    assert.ok(running.state === 'running' && running.pid && isAlive(running.pid));
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    const done = await waitFor(backend, jobId, ['succeeded', 'failed']);
    assert.equal(done.state, 'succeeded');
    assert.ok(done.state === 'succeeded' && !Number.isNaN(Date.parse(done.endedAt)));
    assert.equal((await backend.logs(jobId)).text, 'done\n');
  });

  it('runs a job once when the same key is submitted twice, and attaches the second time', async function () {
    const counter = path.join(codeDir, 'counter');
    const job = shellJob(codeDir, `echo ran >> "${counter}"; ${untilFile('go')}`);
    const [a, b] = await Promise.all([backend.submit(job, 'k-twice'), backend.submit(job, 'k-twice')]);
    assert.equal(a.jobId, b.jobId);
    assert.deepEqual([a.attached, b.attached].sort(), [false, true]);
    const again = await backend.submit(job, 'k-twice');
    assert.deepEqual(again, { jobId: a.jobId, attached: true });
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    assert.equal((await waitFor(backend, a.jobId, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal(fs.readFileSync(counter, 'utf8'), 'ran\n');
  });

  it('gives the job its params, folders, metrics file, job id and env, with cwd = codeDir', async function () {
    const script = [
      'printf "%s" "$MLOPS_PARAMS" > "$MLOPS_OUTPUT_DIR/params.json"',
      'env | grep -E "^(MLOPS_|FOO=)" | sort > "$MLOPS_OUTPUT_DIR/env.txt"',
      'pwd > "$MLOPS_OUTPUT_DIR/cwd.txt"',
    ].join('; ');
    const job = shellJob(codeDir, script, { params: { lr: 0.1, depth: [3, 4] }, env: { FOO: 'bar' } });
    const { jobId } = await backend.submit(job, 'k-env');
    assert.equal((await waitFor(backend, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    const jobDir = path.join(workRoot, jobId);
    const out = (name: string) => fs.readFileSync(path.join(jobDir, 'output', name), 'utf8');
    assert.deepEqual(JSON.parse(out('params.json')), { lr: 0.1, depth: [3, 4] });
    const env = Object.fromEntries(
      out('env.txt')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    assert.equal(env.FOO, 'bar');
    assert.equal(env.MLOPS_JOB_ID, jobId);
    assert.equal(env.MLOPS_DATA_DIR, path.join(jobDir, 'data'));
    assert.equal(env.MLOPS_OUTPUT_DIR, path.join(jobDir, 'output'));
    assert.equal(env.MLOPS_METRICS_FILE, path.join(jobDir, 'metrics.ndjson'));
    assert.equal(fs.realpathSync(out('cwd.txt').trim()), fs.realpathSync(codeDir));
  });

  it('materializes the input snapshot and uploads outputs, log and metrics once on MinIO', async function () {
    const s3 = testS3Store();
    const source = tempDir('dataset');
    fs.writeFileSync(path.join(source, 'train.csv'), 'id,x\n1,2\n');
    const snapshot = await snapshotDataset(s3, { dataset: 'churn', source });
    const s3Backend = new LocalProcessBackend({ store: s3, workRoot });
    const script = [
      'cp "$MLOPS_DATA_DIR/train.csv" "$MLOPS_OUTPUT_DIR/copy.csv"',
      'mkdir -p "$MLOPS_OUTPUT_DIR/model" && echo weights > "$MLOPS_OUTPUT_DIR/model/w.bin"',
      'echo \'{"step":1,"name":"loss","value":0.5}\' >> "$MLOPS_METRICS_FILE"',
      'echo \'{"auc":0.91,"loss":0.2,"note":"ignored"}\' > "$MLOPS_OUTPUT_DIR/metrics.json"',
      'echo trained',
    ].join('; ');
    const prefix = 'experiments/churn/run-1/trials/3';
    const job = shellJob(codeDir, script, { input: { dataset: 'churn', snapshot: snapshot.id }, outputPrefix: prefix });
    const { jobId } = await s3Backend.submit(job, 'k-s3');
    assert.equal((await waitFor(s3Backend, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    const result = await s3Backend.result(jobId);
    assert.deepEqual(result, { outputUri: `${s3.uri}/${prefix}/output`, metrics: { auc: 0.91, loss: 0.2 } });
    const text = async (key: string) => (await s3.getBytes(`${prefix}/${key}`)).toString('utf8');
    assert.equal(await text('output/copy.csv'), 'id,x\n1,2\n');
    assert.equal(await text('output/model/w.bin'), 'weights\n');
    assert.equal(await text('logs/job.log'), 'trained\n');
    assert.equal(await text('metrics.ndjson'), '{"step":1,"name":"loss","value":0.5}\n');
    await s3.delete(`${prefix}/output/copy.csv`);
    assert.deepEqual(await s3Backend.result(jobId), result);
    assert.equal(await s3.head(`${prefix}/output/copy.csv`), undefined, 'the second result() uploads nothing');
  });

  it('downloads the modelUri folder into MLOPS_MODEL_DIR before launch, relative paths kept', async function () {
    const model = 'experiments/churn/run-1/trials/2/output';
    await store.put(`${model}/model.joblib`, 'weights');
    await store.put(`${model}/nested/settings.json`, '{"a":1}');
    const script = [
      'cat "$MLOPS_MODEL_DIR/model.joblib" > "$MLOPS_OUTPUT_DIR/seen.txt"',
      'cat "$MLOPS_MODEL_DIR/nested/settings.json" >> "$MLOPS_OUTPUT_DIR/seen.txt"',
      'printf "%s" "$MLOPS_MODEL_DIR" > "$MLOPS_OUTPUT_DIR/dir.txt"',
    ].join('; ');
    const { jobId } = await backend.submit(
      shellJob(codeDir, script, { modelUri: `${store.uri}/${model}/` }),
      'k-model',
    );
    assert.equal((await waitFor(backend, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    const out = (name: string) => fs.readFileSync(path.join(workRoot, jobId, 'output', name), 'utf8');
    assert.equal(out('seen.txt'), 'weights{"a":1}');
    assert.equal(out('dir.txt'), path.join(workRoot, jobId, 'model'));
  });

  it('refuses a modelUri outside the store, or naming an empty folder, and leaves nothing behind', async function () {
    for (const modelUri of ['s3://elsewhere/models/x', `${store.uri}-other/x`, `${store.uri}/../x`]) {
      await assert.rejects(backend.submit(shellJob(codeDir, 'true', { modelUri }), `k-model-bad-${modelUri}`), {
        type: 'InvalidTrainingJob',
        message: /^modelUri: /,
      });
    }
    await assert.rejects(backend.submit(shellJob(codeDir, 'true', { modelUri: `${store.uri}/none` }), 'k-empty'), {
      type: 'InvalidTrainingJob',
      message: /^modelUri: no objects under /,
    });
    assert.deepEqual(fs.readdirSync(workRoot), []);
  });

  it('streams metric points and log text from byte offsets, only whole lines of metrics', async function () {
    const script = [
      'echo first',
      'printf \'{"step":1,"name":"loss","value":0.5}\\n{"step":2,\' >> "$MLOPS_METRICS_FILE"',
      'touch half',
      untilFile('go'),
      'printf \'"name":"loss","value":0.25}\\nnot json\\n\' >> "$MLOPS_METRICS_FILE"',
      'echo second',
    ].join('; ');
    const { jobId } = await backend.submit(shellJob(codeDir, script), 'k-stream');
    await waitForFile(path.join(codeDir, 'half'));
    const m1 = await backend.metrics(jobId);
    assert.deepEqual(m1.points, [{ step: 1, name: 'loss', value: 0.5 }]);
    const l1 = await backend.logs(jobId);
    assert.equal(l1.text, 'first\n');
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    await waitFor(backend, jobId, ['succeeded']);
    const m2 = await backend.metrics(jobId, m1.next);
    assert.deepEqual(m2.points, [{ step: 2, name: 'loss', value: 0.25 }]);
    assert.deepEqual((await backend.metrics(jobId, m2.next)).points, []);
    assert.deepEqual(await backend.logs(jobId, l1.next), { text: 'second\n', next: 'first\nsecond\n'.length });
  });

  it('reports a failing job with its exit code and the last 20 log lines', async function () {
    const script = 'for i in $(seq 1 30); do echo "line $i"; done; exit 3';
    const { jobId } = await backend.submit(shellJob(codeDir, script), 'k-fail');
    const status = await waitFor(backend, jobId, ['succeeded', 'failed']);
    assert.ok(status.state === 'failed', JSON.stringify(status));
    assert.equal(status.exitCode, 3);
    assert.match(status.reason, /^exit code 3\n/);
    assert.match(status.reason, /line 11\n[\s\S]*line 30$/);
    assert.doesNotMatch(status.reason, /line 10\n/);
    await assert.rejects(backend.result(jobId), { type: 'TrainingJobNotSucceeded' });
  });

  it('fails with exit code 127 when the command does not exist, saying so in the log', async function () {
    const job = { ...shellJob(codeDir, ''), command: ['no-such-trainer-xyz', 'train.py'] };
    const { jobId } = await backend.submit(job, 'k-missing');
    const status = await waitFor(backend, jobId, ['succeeded', 'failed']);
    assert.ok(status.state === 'failed' && status.exitCode === 127, JSON.stringify(status));
    assert.match(status.reason, /no-such-trainer-xyz: command not found/);
    assert.match((await backend.logs(jobId)).text, /no-such-trainer-xyz/);
  });

  it('cancels by killing the whole process group, idempotently', async function () {
    const script = 'sleep 60 & echo $! > child.pid; wait';
    const { jobId } = await backend.submit(shellJob(codeDir, script), 'k-cancel');
    await waitForFile(path.join(codeDir, 'child.pid'));
    const running = await backend.status(jobId);
    assert.ok(running.state === 'running' && running.pid);
    const childPid = Number(fs.readFileSync(path.join(codeDir, 'child.pid'), 'utf8'));
    assert.ok(isAlive(childPid));
    await backend.cancel(jobId);
    await backend.cancel(jobId);
    assert.equal((await backend.status(jobId)).state, 'cancelled');
    assert.equal(isAlive(running.pid), false, 'the job process is gone');
    assert.equal(isAlive(childPid), false, 'its child is gone too');
  });

  it('leaves a finished job as it was when cancelled', async function () {
    const { jobId } = await backend.submit(shellJob(codeDir, 'true'), 'k-cancel-done');
    await waitFor(backend, jobId, ['succeeded']);
    await backend.cancel(jobId);
    assert.equal((await backend.status(jobId)).state, 'succeeded');
  });

  it('re-attaches from a new backend instance (a restarted worker) and sees the job finish', async function () {
    const { jobId } = await backend.submit(shellJob(codeDir, `${untilFile('go')}; echo finished`), 'k-restart');
    const restarted = new LocalProcessBackend({ store, workRoot });
    assert.equal((await restarted.status(jobId)).state, 'running');
    assert.deepEqual(await restarted.submit(shellJob(codeDir, 'true'), 'k-restart'), { jobId, attached: true });
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    assert.equal((await waitFor(restarted, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal((await restarted.logs(jobId)).text, 'finished\n');
  });

  it('fails a job that outlives timeoutSeconds with reason timeout, and stops it', async function () {
    const { jobId } = await backend.submit(shellJob(codeDir, 'echo started; sleep 30', { timeoutSeconds: 1 }), 'k-to');
    const running = await waitFor(backend, jobId, ['running']);
    assert.ok(running.state === 'running' && running.pid);
    const status = await waitFor(backend, jobId, ['failed', 'succeeded'], 5000);
    assert.ok(status.state === 'failed', JSON.stringify(status));
    assert.match(status.reason, /^timeout\nlast log lines:\nstarted$/);
    assert.equal(isAlive(running.pid), false);
  });

  it('rejects a bad job naming the field, and unknown job ids', async function () {
    await assert.rejects(backend.submit(shellJob('relative/dir', 'true'), 'k-bad'), {
      type: 'InvalidTrainingJob',
      message: /^codeDir: /,
    });
    await assert.rejects(backend.submit(shellJob(codeDir, 'true', { outputPrefix: '../x' }), 'k-bad'), /outputPrefix/);
    assert.deepEqual(fs.readdirSync(workRoot), []);
    await assert.rejects(backend.status('0123456789abcdef01234567'), TrainingJobNotFoundError);
    await assert.rejects(backend.logs('../../etc'), TrainingJobNotFoundError);
  });
});
