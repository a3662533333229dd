/**
 * test/support/teardown.ts: a suite's `after` stops what its `before` started, even when `before`
 * threw midway, and a start still under way when it failed is stopped once it is up. The last test
 * runs a suite whose `before` starts a real process and then throws, in a child mocha, and checks
 * that the process is gone after that run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Teardown } from '../support/teardown';

const run = promisify(execFile);

describe('Teardown', () => {
  it('stops what did start, newest first, when a later start throws', async () => {
    const stopped: string[] = [];
    const teardown = new Teardown();
    const failingBefore = async () => {
      await teardown.start(
        'server',
        () => 'server',
        () => void stopped.push('server'),
      );
      await teardown.start(
        'worker',
        () => 'worker',
        () => void stopped.push('worker'),
      );
      await teardown.start(
        'browser',
        () => Promise.reject(new Error('Chromium not found')),
        () => {
          stopped.push('browser');
        },
      );
    };
    await assert.rejects(failingBefore(), /Chromium not found/);
    await teardown.stopAll();
    assert.deepEqual(stopped, ['worker', 'server']);
    await teardown.stopAll();
    assert.deepEqual(stopped, ['worker', 'server'], 'each piece is stopped once');
  });

  it('stops a piece whose start was still under way when its sibling failed', async () => {
    const stopped: string[] = [];
    const teardown = new Teardown();
    const slowServer = teardown.start(
      'server',
      () => sleep(50).then(() => 'server'),
      () => void stopped.push('server'),
    );
    await assert.rejects(
      Promise.all([
        slowServer,
        teardown.start(
          'browser',
          () => Promise.reject(new Error('no browser')),
          () => 0,
        ),
      ]),
      /no browser/,
    );
    assert.deepEqual(stopped, []);
    await teardown.stopAll();
    assert.deepEqual(stopped, ['server']);
  });

  it('runs every stop even when one fails, then reports the failure', async () => {
    const stopped: string[] = [];
    const teardown = new Teardown();
    teardown.add('first', () => void stopped.push('first'));
    teardown.add('broken', () => Promise.reject(new Error('already gone')));
    teardown.add('last', () => void stopped.push('last'));
    await assert.rejects(teardown.stopAll(), /stopping broken: already gone/);
    assert.deepEqual(stopped, ['last', 'first']);
  });

  it('stops one piece early without stopping it again at the end', async () => {
    const stopped: string[] = [];
    const teardown = new Teardown();
    const codec = await teardown.start(
      'codec server',
      () => ({ name: 'codec' }),
      () => void stopped.push('codec'),
    );
    await teardown.start(
      'server',
      () => 'server',
      () => void stopped.push('server'),
    );
    await teardown.stop(codec);
    await teardown.stopAll();
    assert.deepEqual(stopped, ['codec', 'server']);
  });

  it('stopOnError stops what a helper started before it failed, and rethrows', async () => {
    const stopped: string[] = [];
    const pieces = new Teardown();
    await assert.rejects(
      pieces.stopOnError(async () => {
        await pieces.start(
          'upstream',
          () => 'upstream',
          () => void stopped.push('upstream'),
        );
        throw new Error('the gateway did not start');
      }),
      /the gateway did not start/,
    );
    assert.deepEqual(stopped, ['upstream']);
  });

  it("in a real suite: a process started before `before` threw is stopped by the suite's `after`", async function () {
    this.timeout(30_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-teardown-'));
    const pidFile = path.join(dir, 'pid');
    const suite = path.join(dir, 'failing-before.test.ts');
    const teardownModule = path.join(__dirname, '..', 'support', 'teardown');
    fs.writeFileSync(
      suite,
      [
        "import { spawn } from 'node:child_process';",
        "import fs from 'node:fs';",
        `import { suiteTeardown } from ${JSON.stringify(teardownModule)};`,
        "describe('a suite whose before throws midway', () => {",
        '  const teardown = suiteTeardown();',
        '  before(async () => {',
        '    const child = await teardown.start(',
        "      'sleeper',",
        "      () => spawn('sleep', ['60'], { stdio: 'ignore' }),",
        "      (c) => new Promise((exited) => c.once('exit', exited).kill()),",
        '    );',
        `    fs.writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));`,
        "    throw new Error('the second piece failed to start');",
        '  });',
        "  it('never runs', () => undefined);",
        '});',
        '',
      ].join('\n'),
    );
    try {
      const mocha = require.resolve('mocha/bin/mocha.js');
      const outcome = await run(process.execPath, [mocha, '--no-config', '--exit', '--require', 'tsx/cjs', suite], {
        cwd: path.join(__dirname, '..', '..'),
      }).then(
        () => ({ code: 0, stdout: '' }),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(outcome.code, 1, 'the suite fails');
      assert.match(outcome.stdout, /"before all" hook[\s\S]*the second piece failed to start/);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(!isAlive(pid), `the process ${pid} that before started is still running`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
