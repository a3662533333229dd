import assert from 'node:assert/strict';
import { healthCheck } from '../../workflows';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';

describe('healthCheck workflow', function () {
  this.timeout(60_000);

  it('round-trips an object through MinIO on every polled task queue and leaves nothing behind', async () => {
    const store = testS3Store();
    const main = uniqueQueue('health');
    const training = uniqueQueue('health-training');
    const workflowId = uniqueQueue('health/test');
    const result = await withWorker(main, testDeps(store), () =>
      withWorker(
        training,
        testDeps(store),
        () =>
          testStack().env.client.workflow.execute(healthCheck, {
            workflowId,
            taskQueue: main,
            args: [{ nonce: 'test', taskQueues: [main, training] }],
          }),
        { workflows: false },
      ),
    );
    await recordHistory('health-check', workflowId);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(
      result.queues.map((q) => q.taskQueue),
      [main, training],
    );
    for (const q of result.queues) {
      assert.ok(q.ok);
      assert.equal(q.probe.storeUri, store.uri);
      assert.equal(q.probe.worker.taskQueue, q.taskQueue);
      assert.match(q.probe.sha256, /^[0-9a-f]{64}$/);
    }
    const left = [];
    for await (const o of store.list('health/')) left.push(o.key);
    assert.deepEqual(left, []);
  });

  it('reports a task queue that no worker polls instead of waiting forever', async () => {
    const store = testS3Store();
    const main = uniqueQueue('health');
    const unpolled = uniqueQueue('nobody-polls');
    const handle = await withWorker(main, testDeps(store), async () => {
      const result = await testStack().env.client.workflow.execute(healthCheck, {
        workflowId: uniqueQueue('health/test'),
        taskQueue: main,
        args: [{ nonce: 'test', taskQueues: [main, unpolled], queueTimeout: '2s' }],
      });
      return result;
    });
    assert.equal(handle.ok, false);
    const missing = handle.queues.find((q) => q.taskQueue === unpolled);
    assert.ok(missing && !missing.ok);
    assert.match(missing.error, /no worker picked up the probe/);
    assert.ok(handle.queues.find((q) => q.taskQueue === main)?.ok);
  });
});
