/**
 * `mlops worker` started before Temporal: it keeps trying (saying so on stderr) and starts polling
 * once the server is up, as a worker pod started beside its server does; with nothing there past
 * `--connect-timeout` it exits 1 naming the address.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RestartableTemporal, collectOutput } from '../support/chaos-servers';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';

describe('mlops worker started before Temporal', function () {
  this.timeout(120_000);
  let server: RestartableTemporal | undefined;
  let worker: ChildProcess | undefined;
  after(async () => {
    if (worker?.exitCode === null) worker.kill('SIGKILL');
    await server?.kill();
  });

  const waitForOutput = async (out: { text: () => string }, pattern: RegExp, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out.text())) {
      assert.ok(Date.now() < deadline, `${what} never happened:\n${out.text()}`);
      assert.equal(worker?.exitCode, null, `the worker exited:\n${out.text()}`);
      await sleep(200);
    }
  };

  it('waits for the server, then polls', async () => {
    server = await RestartableTemporal.create(fs.mkdtempSync(path.join(testStack().tmpDir, 'late-temporal-')));
    const env = cliEnv('late-server', { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    worker = startCli(['worker', '--queues', 'training', '--connect-timeout', '90s'], env);
    const out = collectOutput(worker);
    await waitForOutput(out, new RegExp(`cannot reach Temporal at ${server.address} \\(attempt 2`), 'a second attempt');
    await server.start();
    await waitForOutput(out, /worker polling mlops-training-late-server/, 'polling');
  });

  it('gives up after --connect-timeout with exit code 1, naming the address', async () => {
    const env = cliEnv('no-server', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const r = await runCli(['worker', '--connect-timeout', '2s'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const bad = await runCli(['worker', '--connect-timeout', 'soon'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--connect-timeout/);
  });
});
