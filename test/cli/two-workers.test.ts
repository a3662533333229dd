/**
 * Many workers: two `mlops worker` processes on the same task queues share the runs, and when one
 * is SIGKILLed mid-run the other finishes every run (its training activities time out on their
 * heartbeat and are retried there, re-attaching to the jobs the dead worker started).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { trainModel } from '../../workflows';
import { cliEnv } from '../support/cli';
import { testStack } from '../support/stack';
import { startWorkerProcess } from '../training/helpers';

describe('two worker processes on the same task queues', function () {
  this.timeout(180_000);
  const workers: ChildProcess[] = [];
  after(() => workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL')));

  it('spread the runs, and one finishes every run after the other is killed', async () => {
    const { env: testEnv, tmpDir } = testStack();
    const id = randomUUID().slice(0, 8);
    const env = cliEnv(`two-workers-${id}`);
    // one at a time, so the first is stopped even if the second does not start
    workers.push(await startWorkerProcess(env));
    workers.push(await startWorkerProcess(env));
    const handles = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        testEnv.client.workflow.start(trainModel, {
          workflowId: `train/two-workers/${id}/${k}`,
          taskQueue: env.MLOPS_TASK_QUEUE!,
          args: [
            {
              pipeline: 'two-workers',
              trainingTaskQueue: env.MLOPS_TRAINING_TASK_QUEUE!,
              job: {
                name: `job-${k}`,
                command: ['sh', '-c', `sleep 4; echo '{"auc": 0.${k}1}' > "$MLOPS_OUTPUT_DIR/metrics.json"`],
                codeDir: tmpDir,
                env: {},
                params: { k },
              },
            },
          ],
        }),
      ),
    );
    // once jobs run on both workers, kill the first without warning
    const identities = async () => {
      const seen = new Set<string>();
      for (const h of handles) {
        const history = await h.fetchHistory();
        for (const e of history.events ?? []) {
          const identity = e.activityTaskStartedEventAttributes?.identity;
          if (identity) seen.add(identity);
        }
      }
      return seen;
    };
    const deadline = Date.now() + 60_000;
    let before = new Set<string>();
    while (before.size < 2) {
      assert.ok(Date.now() < deadline, `activities ran on ${[...before].join(', ') || 'no worker'} only`);
      await new Promise((r) => setTimeout(r, 300));
      before = await identities();
    }
    const killedPid = workers[0]!.pid!;
    workers[0]!.kill('SIGKILL');

    const results = await Promise.all(handles.map((h) => h.result()));
    assert.deepEqual(
      results.map((r) => r.metrics.auc),
      Array.from({ length: 8 }, (_, k) => Number(`0.${k}1`)),
    );
    const after = await identities();
    assert.ok(
      [...after].some((i) => i.startsWith(`${killedPid}@`)),
      'the killed worker had taken work',
    );
    assert.ok(
      [...after].some((i) => !i.startsWith(`${killedPid}@`)),
      'the other worker took work',
    );
  });
});
