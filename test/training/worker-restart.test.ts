import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { pendingHeartbeat } from '../../client/activity-progress';
import { trainModel } from '../../workflows';
import { cliEnv } from '../support/cli';
import { recordHistory } from '../support/histories';
import { testStack } from '../support/stack';
import { startWorkerProcess as startWorker } from './helpers';

describe('a training job across a worker crash', function () {
  this.timeout(120_000);
  const workers: ChildProcess[] = [];
  after(() => workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL')));

  it('re-attaches to the running job after the worker is SIGKILLed: exactly one training process ran', async () => {
    const { tmpDir, env: testEnv } = testStack();
    const id = randomUUID().slice(0, 8);
    const counter = path.join(tmpDir, `runs-${id}.txt`);
    const env = cliEnv(`restart-${id}`);
    const queue = env.MLOPS_TASK_QUEUE ?? '';
    const trainingQueue = env.MLOPS_TRAINING_TASK_QUEUE ?? '';
    workers.push(await startWorker(env));
    const handle = await testEnv.client.workflow.start(trainModel, {
      workflowId: `train/restart/${id}`,
      taskQueue: queue,
      args: [
        {
          pipeline: 'restart',
          trainingTaskQueue: trainingQueue,
          job: {
            name: 'slow-job',
            command: [
              'sh',
              '-c',
              'echo ran >> "$COUNTER"; sleep 6; echo \'{"auc": 0.9}\' > "$MLOPS_OUTPUT_DIR/metrics.json"',
            ],
            codeDir: tmpDir,
            env: { COUNTER: counter },
            params: {},
          },
        },
      ],
    });
    // wait until the job runs and its id is in a heartbeat, then kill the worker without warning
    const deadline = Date.now() + 30_000;
    let beat: TrainingHeartbeat | undefined;
    while (beat?.state !== 'running') {
      assert.ok(Date.now() < deadline, 'the job never reported running');
      await new Promise((r) => setTimeout(r, 300));
      beat = await pendingHeartbeat<TrainingHeartbeat>(testEnv.client, handle);
    }
    workers[0]!.kill('SIGKILL');
    workers.push(await startWorker(env));

    const result = await handle.result();
    assert.deepEqual(result.metrics, { auc: 0.9 });
    assert.equal(result.jobId, beat.jobId, 'the retried activity re-attached to the same job');
    assert.equal(fs.readFileSync(counter, 'utf8'), 'ran\n', 'exactly one training process ran');
    await recordHistory('train-model-worker-restart', handle.workflowId);
  });
});
