/**
 * mocha root hooks: start the shared Temporal dev server and MinIO once for the whole run, and stop
 * the Ray head if a suite started one (test/support/ray.ts starts it on first use).
 * Set MLOPS_TEST_NO_STACK=1 to run pure unit tests without servers (the default runs everything).
 */
import { Runtime } from '@temporalio/worker';
import { workerLogger } from '../worker/run';
import { stopTestRay } from './support/ray';
import { startTestStack, stopTestStack } from './support/stack';

// the lockfile pins an AWS SDK that supports Node 20; its notice about future releases is noise
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
Runtime.install({ logger: workerLogger });

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    if (process.env.MLOPS_TEST_NO_STACK === '1') return;
    await startTestStack();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestRay();
    await stopTestStack();
  },
};
