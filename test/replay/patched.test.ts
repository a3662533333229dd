/**
 * How pipeline code changes safely (docs/development.md, "Changing workflow code"): a history recorded with the
 * first version of a workflow replays against a change made behind `patched()`, and fails against
 * the same change made as a plain edit; a run started after the patched change takes the new path.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testStack } from '../support/stack';
import { silentLogger as quiet } from '../support/loggers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'patching');

describe('changing workflow code with patched()', function () {
  this.timeout(120_000);

  it('replays old histories after a patched change, not after a plain edit; new runs take the new path', async () => {
    const { env } = testStack();
    const taskQueue = `patching-${randomUUID().slice(0, 8)}`;
    const activities = { step: (name: string) => Promise.resolve(name) };
    const runWith = async (version: string, workflowId: string) => {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowsPath: path.join(FIXTURES, version),
        activities,
        bundlerOptions: { logger: quiet } as never,
      });
      return worker.runUntil(
        env.client.workflow.execute('patchedPipeline', { workflowId, taskQueue, args: [] }) as Promise<string[]>,
      );
    };
    const oldId = `patching/old/${randomUUID().slice(0, 8)}`;
    assert.deepEqual(await runWith('v1.ts', oldId), ['snapshot', 'train']);
    const history = await env.client.workflow.getHandle(oldId).fetchHistory();

    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: path.join(FIXTURES, 'v2-unpatched.ts') }, history, oldId),
      /[Nn]ondeterminism|DeterminismViolation/,
    );
    await Worker.runReplayHistory({ workflowsPath: path.join(FIXTURES, 'v2-patched.ts') }, history, oldId);

    const newId = `patching/new/${randomUUID().slice(0, 8)}`;
    assert.deepEqual(await runWith('v2-patched.ts', newId), ['snapshot', 'validate', 'train']);
  });
});
