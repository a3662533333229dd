/**
 * The unit lane (.mocharc.unit.js, test/support/unit-lane.ts): its list names existing test files,
 * the commands that start a server are told from those that do not, and in the lane itself a
 * server start is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { inUnitLane, refusals, serverStartedBy } from '../support/unit-lane';

describe('the unit lane', () => {
  it('lists test files that exist, and folders (`<folder>/**/*.test.ts`) that hold some', async () => {
    // loading the config marks the process as the unit lane: put the mark back as it was
    const lane = process.env.MLOPS_TEST_LANE;
    const config = await import(path.join(REPO_ROOT, '.mocharc.unit.js')).finally(() => {
      if (lane === undefined) delete process.env.MLOPS_TEST_LANE;
      else process.env.MLOPS_TEST_LANE = lane;
    });
    const { spec } = (config as { default: { spec: string[] } }).default;
    for (const entry of spec) {
      const folder = /^(test\/[\w/-]+)\/\*\*\/\*\.test\.ts$/.exec(entry)?.[1];
      if (folder) {
        const files = fs.readdirSync(path.join(REPO_ROOT, folder), { recursive: true }).map(String);
        assert.ok(
          files.some((f) => f.endsWith('.test.ts')),
          `${entry}: no test file in ${folder}`,
        );
        continue;
      }
      assert.match(entry, /^test\/.+\.test\.ts$/, `${entry} is neither a test file nor a folder's test files`);
      assert.ok(fs.existsSync(path.join(REPO_ROOT, entry)), `${entry} does not exist`);
    }
  });

  it("tells the commands that start one of the stack's servers from those that start none", () => {
    const node = process.execPath;
    const started: [string, string[], string | undefined][] = [
      ['/root/.tools/bin/temporal', ['temporal', 'server', 'start-dev'], 'temporal'],
      ['/usr/local/bin/minio', ['minio', 'server', '/data'], 'minio'],
      ['.venv/bin/ray', ['ray', 'start', '--head'], 'ray'],
      ['/usr/bin/chromium', ['chromium', '--headless'], 'chromium'],
      [
        '.venv/bin/python',
        ['python', '/repo/activities/serving/model_server.py', '--model_dir=m', '--http_port=1'],
        'model_server.py',
      ],
      ['.venv/bin/python', ['python', '-m', 'ray', 'start', '--head'], 'ray'],
      [node, [node, 'bin/mlops.js', 'worker'], 'mlops worker'],
      [node, [node, '/repo/bin/mlops.js', '--json', 'gateway', '--port', '0'], 'mlops gateway'],
      [node, [node, 'bin/mlops.js', 'dev', 'up', '--worker'], 'mlops dev up'],
      ['mlops', ['mlops', 'demo'], 'mlops demo'],
      // none
      [node, [node, 'bin/mlops.js', 'pipeline', 'validate', 'x.yaml'], undefined],
      [node, [node, 'bin/mlops.js', 'dev', 'status'], undefined],
      [node, [node, 'bin/mlops.js', '--help'], undefined],
      [node, [node, 'bin/mlops.js', 'worker', '--help'], undefined],
      ['.venv/bin/python', ['python', 'train.py'], undefined],
      ['sh', ['sh', '-c', 'echo worker'], undefined],
      ['git', ['git', 'rev-parse', 'HEAD'], undefined],
    ];
    for (const [file, argv, server] of started) assert.equal(serverStartedBy(file, argv), server, argv.join(' '));
  });

  it('refuses, in the lane, to start a server, and keeps the refusal', function () {
    if (!inUnitLane()) this.skip();
    const before = refusals.length;
    assert.throws(
      () => spawn('temporal', ['server', 'start-dev'], { stdio: 'ignore' }),
      /the unit lane \(npm run test:unit\) starts no server, but test\/unit\/unit-lane\.test\.ts started temporal/,
    );
    assert.equal(refusals.length, before + 1);
    // this refusal was asked for: the run must not fail for it
    refusals.pop();
  });
});
