import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../lib/ports';
import { cliEnv, runCli, startCli } from '../support/cli';
import { suiteTeardown } from '../support/teardown';

describe('mlops CLI', function () {
  this.timeout(60_000);

  it('prints help for the program and for every command', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['dev', 'worker', 'health', 'data', 'models', 'experiments', 'train', 'trials', 'logs']) {
      assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
      const sub = await runCli([command, '--help']);
      assert.equal(sub.code, 0, sub.stderr);
      assert.match(sub.stdout, new RegExp(`Usage: mlops ${command}`));
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const badOption = await runCli(['worker', '--queues', 'gpu']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /--queues.*gpu|gpu.*invalid/i);
  });

  it('names the variable and exits 2 when the configuration is bad, without a stack trace', async () => {
    const result = await runCli(['health'], { MLOPS_STORE: 'ftp://x' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /MLOPS_STORE: unsupported store "ftp:\/\/x"/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    const json = await runCli(['--json', 'health'], { MLOPS_STORE: 'ftp://x' });
    assert.equal(json.code, 2);
    assert.match(JSON.parse(json.stderr).error.message, /MLOPS_STORE/);
  });

  it('says plainly when the Temporal server cannot be reached', async () => {
    const result = await runCli(['health'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MLOPS_HOME: `/tmp/mlops-none-${randomUUID()}`,
    });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  describe('mlops worker and mlops health, end to end', () => {
    let worker: ChildProcess;
    let workerLog = '';
    let env: NodeJS.ProcessEnv;
    let metricsPort: number;
    const teardown = suiteTeardown();

    before(async () => {
      env = cliEnv(`cli-${randomUUID().slice(0, 8)}`);
      metricsPort = await freePort();
      // bound to every interface, as in a container where Prometheus scrapes the pod's address
      worker = startCli(['worker', '--metrics-port', String(metricsPort), '--metrics-host', '0.0.0.0'], env);
      teardown.add('the worker', () => void (worker.exitCode === null && worker.kill('SIGKILL')));
      worker.stderr?.on('data', (d: Buffer) => (workerLog += d.toString()));
      worker.stdout?.on('data', (d: Buffer) => (workerLog += d.toString()));
      const deadline = Date.now() + 45_000;
      while (!/worker polling/.test(workerLog)) {
        if (worker.exitCode !== null) throw new Error(`worker exited early:\n${workerLog}`);
        if (Date.now() > deadline) throw new Error(`worker did not start:\n${workerLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    it('runs the health check through the worker on all three task queues and prints JSON', async () => {
      const result = await runCli(['--json', 'health'], env);
      assert.equal(result.code, 0, result.stderr + workerLog);
      const report = JSON.parse(result.stdout);
      assert.equal(report.ok, true);
      assert.deepEqual(
        report.queues.map((q: { taskQueue: string; ok: boolean }) => [q.taskQueue, q.ok]),
        [
          [env.MLOPS_TASK_QUEUE, true],
          [env.MLOPS_TRAINING_TASK_QUEUE, true],
          [env.MLOPS_SERVING_TASK_QUEUE, true],
        ],
      );
      assert.equal(report.queues[0].probe.storeUri, env.MLOPS_STORE);
    });

    it('serves Prometheus metrics of the worker when asked to, on the address asked for', async () => {
      assert.match(workerLog, new RegExp(`metrics on http://0\\.0\\.0\\.0:${metricsPort}/metrics`));
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^temporal_\w+/m);
    });

    it('shuts the worker down gracefully on SIGTERM', async () => {
      const proc = worker!;
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, workerLog);
      assert.match(workerLog, /worker stopped/);
    });
  });
});
