import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { ExperimentTracker } from '../../activities/tracking';
import { pendingHeartbeat } from '../../client/activity-progress';
import { trainModel } from '../../workflows';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('cancelling a training run', function () {
  this.timeout(60_000);

  it('stops the job and every process it started, and records the trial as cancelled', async () => {
    const { env: testEnv, tmpDir } = testStack();
    const id = randomUUID().slice(0, 8);
    const pids = path.join(tmpDir, `pids-${id}.txt`);
    const store = testS3Store(`cancel-${id}`);
    const deps = testDeps(store);
    const queue = uniqueQueue('cancel');
    const trainingQueue = uniqueQueue('cancel-training');
    await withWorker(queue, deps, () =>
      withWorker(
        trainingQueue,
        deps,
        async () => {
          const handle = await testEnv.client.workflow.start(trainModel, {
            workflowId: `train/cancel/${id}`,
            taskQueue: queue,
            args: [
              {
                pipeline: 'cancel',
                trainingTaskQueue: trainingQueue,
                job: {
                  name: 'endless',
                  command: ['sh', '-c', 'sleep 60 & echo $$ $! > "$PIDS"; wait'],
                  codeDir: tmpDir,
                  env: { PIDS: pids },
                  params: {},
                },
              },
            ],
          });
          const deadline = Date.now() + 20_000;
          while ((await pendingHeartbeat<TrainingHeartbeat>(testEnv.client, handle))?.state !== 'running') {
            assert.ok(Date.now() < deadline, 'the job never reported running');
            await new Promise((r) => setTimeout(r, 200));
          }
          while (!fs.existsSync(pids) || fs.readFileSync(pids, 'utf8').trim() === '') {
            await new Promise((r) => setTimeout(r, 100));
          }
          const [shell, sleeper] = fs.readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
          assert.ok(alive(shell) && alive(sleeper));

          await handle.cancel();
          await assert.rejects(
            handle.result(),
            (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
          );
          const gone = Date.now() + 15_000;
          while (alive(shell) || alive(sleeper)) {
            assert.ok(Date.now() < gone, `job processes still alive: ${shell} ${sleeper}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          const trial = await new ExperimentTracker(store).getTrial('cancel', `train/cancel/${id}`, 1);
          assert.equal(trial.status, 'cancelled');
        },
        { workflows: false },
      ),
    );
  });
});
