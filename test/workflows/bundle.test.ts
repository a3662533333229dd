import assert from 'node:assert/strict';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundle } from '../support/stack';

const silent = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('workflow bundle', function () {
  this.timeout(60_000);

  it('bundles workflows/ for the Temporal sandbox', async () => {
    const bundle = await workflowBundle();
    assert.ok(bundle.code.includes('healthCheck'));
  });

  it('refuses workflow code that imports a Node built-in', async () => {
    await assert.rejects(
      bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/forbidden-import-workflow'), logger: silent }),
      /node:fs|fs|disallowed|Node\.js/i,
    );
  });
});
