/**
 * `mlops worker --queues` with a list: a process polling the workflow and training queues and
 * another polling only the serving queue, as a cluster runs them. Each process's /readyz names the
 * queues it polls; `mlops health` finds the serving queue unpolled until the second one is up.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lib/ports';
import { cliEnv, runCli, startCli } from '../support/cli';
import { suiteTeardown } from '../support/teardown';

describe('mlops worker --queues with a list of queues', function () {
  this.timeout(180_000);
  const teardown = suiteTeardown();
  let env: NodeJS.ProcessEnv;
  before(() => (env = cliEnv(`queues-${Date.now().toString(36)}`)));

  /** Starts a worker on `queues` with a health port; resolves with the queues its /readyz reports once ready. */
  const startWorker = async (queues: string): Promise<{ worker: ChildProcess; polled: string[] }> => {
    const port = await freePort();
    const worker = await teardown.start(
      `the worker on ${queues}`,
      () => Promise.resolve(startCli(['worker', '--queues', queues, '--health-port', String(port)], env)),
      (w) => void (w.exitCode === null && w.kill('SIGKILL')),
    );
    let log = '';
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      assert.equal(worker.exitCode, null, `the worker exited:\n${log}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (ready?.status === 200) {
        const body = (await ready.json()) as { workers: { taskQueue: string }[] };
        return { worker, polled: body.workers.map((w) => w.taskQueue) };
      }
      assert.ok(Date.now() < deadline, `never ready:\n${log}`);
      await sleep(200);
    }
  };

  const health = async () => {
    const r = await runCli(['--json', 'health', '--queue-timeout', '3s'], env, 60_000);
    const report = JSON.parse(r.stdout) as { ok: boolean; queues: { taskQueue: string; ok: boolean }[] };
    return { code: r.code, queues: report.queues.map((q) => [q.taskQueue, q.ok]) };
  };

  it('polls only the queues named, and the health check sees which are polled', async () => {
    const main = await startWorker('training,workflows');
    // in the worker's own order, whatever the order of the flag
    assert.deepEqual(main.polled, [env.MLOPS_TASK_QUEUE, env.MLOPS_TRAINING_TASK_QUEUE]);
    const without = await health();
    assert.equal(without.code, 1);
    assert.deepEqual(without.queues, [
      [env.MLOPS_TASK_QUEUE, true],
      [env.MLOPS_TRAINING_TASK_QUEUE, true],
      [env.MLOPS_SERVING_TASK_QUEUE, false],
    ]);

    const serving = await startWorker('serving');
    assert.deepEqual(serving.polled, [env.MLOPS_SERVING_TASK_QUEUE]);
    const all = await health();
    assert.equal(all.code, 0);
    assert.deepEqual(
      all.queues.map(([, ok]) => ok),
      [true, true, true],
    );
  });
});
