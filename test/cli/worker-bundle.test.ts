/**
 * `mlops bundle` and a worker started from the bundle with its health endpoint: /healthz answers
 * while it starts, /readyz once it polls, and the workflows in the bundle run (`mlops health`).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../lib/ports';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';

describe('worker from a pre-built bundle, with a health endpoint', function () {
  this.timeout(120_000);

  it('bundles once, starts from the bundle, reports ready, runs workflows, and stops on SIGTERM', async () => {
    const env = cliEnv(`bundle-${randomUUID().slice(0, 8)}`);
    const file = path.join(testStack().tmpDir, `bundle-${randomUUID().slice(0, 8)}.js`);
    const built = await runCli(['--json', 'bundle', '-o', file], env);
    assert.equal(built.code, 0, built.stderr);
    assert.ok(JSON.parse(built.stdout).bytes > 100_000);
    assert.match(fs.readFileSync(file, 'utf8'), /retrainPipeline/);

    const missing = await runCli(['worker', '--bundle', `${file}.nope`], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--bundle: .*\.nope does not exist/);

    const port = await freePort();
    const worker = startCli(['worker', '--bundle', file, '--health-port', String(port)], env);
    let log = '';
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (ready?.status === 200) {
          const body = (await ready.json()) as { workers: { taskQueue: string; state: string }[] };
          assert.deepEqual(
            body.workers.map((w) => [w.taskQueue, w.state]),
            [
              [env.MLOPS_TASK_QUEUE, 'RUNNING'],
              [env.MLOPS_TRAINING_TASK_QUEUE, 'RUNNING'],
              [env.MLOPS_SERVING_TASK_QUEUE, 'RUNNING'],
            ],
          );
          break;
        }
        assert.ok(Date.now() < deadline, `never ready:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/nope`)).status, 404);
      const health = await runCli(['health'], env);
      assert.equal(health.code, 0, health.stderr);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
    assert.match(log, /health on http:\/\/127\.0\.0\.1:\d+\/healthz/);
    assert.match(log, /worker stopped/);
  });
});
