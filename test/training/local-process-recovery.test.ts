/** `LocalProcessBackend` when things go wrong outside it: vanished processes, interrupted launches, signals. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import { LocalProcessBackend } from '../../activities/training';
import { isAlive, shellJob, tempDir, untilFile, waitFor, waitForFile } from './helpers';

describe('local process training backend recovery', function () {
  this.timeout(20_000);
  let workRoot: string;
  let codeDir: string;
  let backend: LocalProcessBackend;

  beforeEach(function () {
    workRoot = tempDir('jobs');
    codeDir = tempDir('code');
    backend = new LocalProcessBackend({ store: new FilesystemBlobStore(tempDir('store')), workRoot, killGraceMs: 500 });
  });

  it('reports a job killed from outside (no exit status) as failed: process vanished', async function () {
    const { jobId } = await backend.submit(shellJob(codeDir, `echo up; touch up; ${untilFile('never')}`), 'k-vanish');
    await waitForFile(path.join(codeDir, 'up'));
    const running = await waitFor(backend, jobId, ['running']);
    assert.ok(running.state === 'running' && running.pid);
    process.kill(-running.pid, 'SIGKILL');
    const status = await waitFor(backend, jobId, ['failed']);
    assert.ok(status.state === 'failed' && status.exitCode === null);
    assert.match(status.reason, /^process vanished\nlast log lines:\nup$/);
    assert.deepEqual(await backend.status(jobId), status, 'the decision is recorded, not re-made');
  });

  it('reports the signal that killed the command', async function () {
    const { jobId } = await backend.submit(shellJob(codeDir, 'kill -KILL $$'), 'k-signal');
    const status = await waitFor(backend, jobId, ['failed', 'succeeded']);
    assert.ok(status.state === 'failed', JSON.stringify(status));
    assert.equal(status.exitCode, 137);
    assert.equal(status.signal, 'SIGKILL');
  });

  it('takes over a launch whose submitter died before starting the process', async function () {
    const job = shellJob(codeDir, 'echo ran >> counter');
    const first = await backend.submit(job, 'k-takeover');
    await waitFor(backend, first.jobId, ['succeeded']);
    // rewrite the folder as a submitter that died between creating it and launching
    const dir = path.join(workRoot, first.jobId);
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
    record.submitter = { pid: Number(dead), startTime: '1' };
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(record));
    for (const file of ['pid', 'exit-status']) fs.rmSync(path.join(dir, file));
    const interrupted = await backend.status(first.jobId);
    assert.ok(interrupted.state === 'failed' && interrupted.reason === 'launch interrupted');
    assert.deepEqual(await backend.submit(job, 'k-takeover'), { jobId: first.jobId, attached: false });
    await waitFor(backend, first.jobId, ['succeeded']);
    assert.equal(fs.readFileSync(path.join(codeDir, 'counter'), 'utf8'), 'ran\nran\n');
    assert.deepEqual(
      fs.readdirSync(workRoot).filter((name) => name.includes('abandoned')),
      [],
      'the abandoned folder is removed',
    );
  });

  it('adopts a job whose submitter died after starting it but before recording its pid: no second process', async function () {
    const job = shellJob(codeDir, `echo ran >> counter; ${untilFile('go')}`);
    const first = await backend.submit(job, 'k-orphan');
    const running = await waitFor(backend, first.jobId, ['running']);
    assert.ok(running.state === 'running');
    // rewrite the folder as a submitter killed between launching the process and writing its pid
    const dir = path.join(workRoot, first.jobId);
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
    record.submitter = { pid: Number(dead), startTime: '1' };
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify(record));
    fs.rmSync(path.join(dir, 'pid'));

    assert.deepEqual(await backend.submit(job, 'k-orphan'), { jobId: first.jobId, attached: true });
    const adopted = await backend.status(first.jobId);
    assert.ok(adopted.state === 'running' && adopted.pid === running.pid, JSON.stringify(adopted));
    fs.writeFileSync(path.join(codeDir, 'go'), '');
    await waitFor(backend, first.jobId, ['succeeded']);
    assert.equal(fs.readFileSync(path.join(codeDir, 'counter'), 'utf8'), 'ran\n', 'one process ran');
  });

  it('leaves no half-made job folder: the folder appears with its record in it', async function () {
    const job = shellJob(codeDir, 'true');
    const submits = await Promise.all(Array.from({ length: 8 }, () => backend.submit(job, 'k-claim')));
    assert.equal(submits.filter((s) => !s.attached).length, 1, 'one submit launched, the others attached');
    const { jobId } = submits[0]!;
    assert.ok(fs.existsSync(path.join(workRoot, jobId, 'job.json')));
    assert.deepEqual(
      fs.readdirSync(workRoot).filter((name) => name !== jobId),
      [],
      'no claim folders left behind',
    );
    await waitFor(backend, jobId, ['succeeded']);
  });

  it('runs a leading `python` with the configured interpreter', async function () {
    const withPython = new LocalProcessBackend({
      store: new FilesystemBlobStore(tempDir('store')),
      workRoot,
      python: '/bin/echo',
    });
    const job = { ...shellJob(codeDir, ''), command: ['python', 'train.py', '--lr', '0.1'] };
    const { jobId } = await withPython.submit(job, 'k-python');
    await waitFor(withPython, jobId, ['succeeded']);
    assert.equal((await withPython.logs(jobId)).text, 'train.py --lr 0.1\n');
  });

  it('cancels a job that ignores SIGTERM with SIGKILL after the grace period', async function () {
    const script = `trap "" TERM; touch trapped; ${untilFile('never')}`;
    const { jobId } = await backend.submit(shellJob(codeDir, script), 'k-stubborn');
    const running = await waitFor(backend, jobId, ['running']);
    assert.ok(running.state === 'running' && running.pid);
    await waitForFile(path.join(codeDir, 'trapped'));
    const started = Date.now();
    await backend.cancel(jobId);
    assert.ok(Date.now() - started >= 450, 'waited for the grace period');
    assert.equal((await backend.status(jobId)).state, 'cancelled');
    assert.equal(isAlive(running.pid), false);
  });
});
