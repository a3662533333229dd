import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { UserError } from '../../common/errors';
import { buildWorkflowBundle, userWorkflowFiles } from '../../worker/workflow-bundle';
import { workflowBundle } from '../support/stack';

/** A logger that keeps what the bundler reports, so the test can read why bundling failed. */
function recordingLogger() {
  const lines: string[] = [];
  const keep = (message: string, meta?: unknown) => void lines.push(`${message} ${JSON.stringify(meta ?? '')}`);
  return { lines, log: keep, trace: keep, debug: keep, info: keep, warn: keep, error: keep };
}

describe('workflow bundle', function () {
  this.timeout(60_000);

  it('bundles workflows/ for the Temporal sandbox', async () => {
    const bundle = await workflowBundle();
    assert.ok(bundle.code.includes('healthCheck'));
  });

  it('keeps schema libraries out: every new workflow run evaluates the modules the bundle holds', async () => {
    const { code } = await workflowBundle();
    // zod's schemas (the spec's, the sweep's) took about 15 ms to build per new run: a sweep's trials
    // and a pipeline's children waited on it. Workflow code imports the zod-free modules instead.
    assert.doesNotMatch(code, /node_modules\/zod\//, 'zod is in the workflow bundle');
    const schemaModules = [...new Set(code.match(/"\.\/common\/schemas\/[\w./-]+"/g) ?? [])];
    assert.deepEqual(schemaModules, [], 'a module of common/schemas/ is in the bundle');
    assert.ok(code.includes('"./common/sweep-plan.ts"'), 'the bundle names its common/ modules as this test expects');
  });

  it('refuses workflow code that imports a Node built-in', async () => {
    const logger = recordingLogger();
    await assert.rejects(
      bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/forbidden-import-workflow'), logger }),
      /Webpack finished with errors/,
    );
    assert.match(logger.lines.join('\n'), /ERROR in node:fs/);
  });

  describe('with user workflow modules', () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-user-workflows-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('takes a folder as its workflow modules, leaving tests and declarations out', () => {
      for (const f of ['b.ts', 'a.js', 'a.test.ts', 'types.d.ts', 'notes.md']) fs.writeFileSync(path.join(dir, f), '');
      assert.deepEqual(
        userWorkflowFiles([dir], '--workflows').map((f) => path.basename(f)),
        ['a.js', 'b.ts'],
      );
      assert.throws(
        () => userWorkflowFiles([path.join(dir, 'missing')], 'MLOPS_WORKFLOWS'),
        (err: unknown) =>
          err instanceof UserError &&
          err.exitCode === 2 &&
          /^MLOPS_WORKFLOWS: .*missing does not exist$/.test(err.message),
      );
    });

    it("refuses a module that exports no function, or a built-in workflow's name", async () => {
      const clash = path.join(dir, 'clash.ts');
      const empty = path.join(dir, 'empty.ts');
      fs.writeFileSync(clash, 'export async function retrainPipeline() { return 1; }\n');
      fs.writeFileSync(empty, 'export const answer = 42;\n');
      await assert.rejects(buildWorkflowBundle([clash, empty]), (err: unknown) => {
        assert.ok(err instanceof UserError && err.exitCode === 2, String(err));
        assert.match(err.message, /clash\.ts: exports retrainPipeline, which is the name of a built-in workflow/);
        assert.match(err.message, /empty\.ts: exports no function/);
        return true;
      });
    });
  });
});
