/**
 * The CLI runs the build output (dist/): what it finds from there must be where the sources have it
 * (the .py assets, the tools, the built-in workflows the worker bundles), and `--help` stays fast.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { runCli } from '../support/cli';

describe('the compiled CLI', function () {
  this.timeout(120_000);

  it('finds the package root, the model server and the Ray runner from dist/', () => {
    const script = `
const { PACKAGE_ROOT, CODE_ROOT } = require('./dist/lib/package-root.js');
const { REPO_ROOT } = require('./dist/lib/tools.js');
const { MODEL_SERVER_SCRIPT } = require('./dist/activities/serving/model-server.js');
process.stdout.write(JSON.stringify({ PACKAGE_ROOT, CODE_ROOT, REPO_ROOT, MODEL_SERVER_SCRIPT }));`;
    const found = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' }),
    ) as Record<string, string>;
    assert.equal(found.PACKAGE_ROOT, REPO_ROOT);
    assert.equal(found.REPO_ROOT, REPO_ROOT);
    assert.equal(found.CODE_ROOT, path.join(REPO_ROOT, 'dist'));
    assert.ok(fs.existsSync(found.MODEL_SERVER_SCRIPT!), found.MODEL_SERVER_SCRIPT);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'activities', 'training', 'ray_runner.py')));
  });

  it('bundles the built-in workflows from dist/ (mlops bundle)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bundle-'));
    try {
      const out = path.join(dir, 'bundle.js');
      const result = await runCli(['bundle', '-o', out], {}, 120_000);
      assert.equal(result.code, 0, result.stderr);
      const code = fs.readFileSync(out, 'utf8');
      assert.match(code, /retrainPipeline/);
      assert.ok(code.includes(path.join('dist', 'workflows')), 'bundled from the build output');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
