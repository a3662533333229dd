import assert from 'node:assert/strict';
import { bundleWorkflowCode } from '@temporalio/worker';
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
});
