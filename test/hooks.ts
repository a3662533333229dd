/**
 * mocha root hooks: start the shared Temporal dev server and MinIO once for the whole run, and stop
 * the Ray head if a suite started one (test/support/ray.ts starts it on first use).
 *
 * Two lanes run through these hooks:
 * - `npm test` (.mocharc.json): every file in test/; the stack is started for the run.
 * - `npm run test:unit` (.mocharc.unit.js, which sets MLOPS_TEST_LANE=unit): the files that need no
 *   server, listed there. Nothing is started, and test/support/unit-lane.ts refuses whatever would
 *   start a server (a refused start fails the run at the end, even if a test caught the error).
 *   A new file that needs no server goes in that list; one that needs a server stays out of it.
 * Set MLOPS_TEST_NO_STACK=1 to run some files without the stack and without those checks.
 *
 * Before anything, dist/ is built when a source is newer than it (infra/dev/build-if-stale.js: a
 * check of file times, an incremental tsc when needed): the tests that run the CLI as a child
 * process run bin/mlops.js, which runs dist/, so they test the current sources.
 */
import { Runtime } from '@temporalio/worker';
import { buildIfStale } from '../infra/dev/build-if-stale';
import { workerLogger } from '../worker/run';
import { stopTestRay } from './support/ray';
import { startTestStack, stopTestStack } from './support/stack';
import { guardUnitLane, inUnitLane, noteCurrentTest, refusals } from './support/unit-lane';

// the lockfile pins an AWS SDK that supports Node 20; its notice about future releases is noise
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
Runtime.install({ logger: workerLogger });
buildIfStale();
if (inUnitLane()) guardUnitLane();

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    if (inUnitLane() || process.env.MLOPS_TEST_NO_STACK === '1') return;
    await startTestStack();
  },
  beforeEach(this: Mocha.Context) {
    noteCurrentTest(this.currentTest);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestRay();
    await stopTestStack();
    if (refusals.length > 0) {
      throw new Error(`the unit lane refused ${refusals.length} server start(s):\n${refusals.join('\n')}`);
    }
  },
};
