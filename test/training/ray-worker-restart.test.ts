/** The Ray backend across a worker crash: the retried activity re-attaches to the one Ray job. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { rayJobIdOf } from '../../activities/training';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { pendingHeartbeat } from '../../client/activity-progress';
import { trainModel } from '../../workflows';
import { cliEnv } from '../support/cli';
import { testRay } from '../support/ray';
import { testStack } from '../support/stack';
import { startWorkerProcess } from './helpers';

describe('a Ray training job across a worker crash', function () {
  this.timeout(120_000);
  const workers: ChildProcess[] = [];
  after(() => workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL')));

  it('re-attaches after the worker is SIGKILLed: one Ray submission for the key, one run, the workflow completes', async () => {
    const ray = await testRay();
    const { tmpDir, env: testEnv } = testStack();
    const id = randomUUID().slice(0, 8);
    const counter = path.join(tmpDir, `ray-runs-${id}.txt`);
    // inside the run's temporary folder: one of the worker's source roots (test/support/cli.ts)
    const codeDir = fs.mkdtempSync(path.join(tmpDir, 'ray-restart-code-'));
    fs.writeFileSync(
      path.join(codeDir, 'train.py'),
      [
        'import json, os, time',
        'open(os.environ["COUNTER"], "a").write("ran\\n")',
        'with open(os.environ["MLOPS_METRICS_FILE"], "a") as m:',
        '    m.write(json.dumps({"step": 1, "name": "loss", "value": 0.4}) + "\\n")',
        'time.sleep(6)',
        'json.dump({"auc": 0.9}, open(os.path.join(os.environ["MLOPS_OUTPUT_DIR"], "metrics.json"), "w"))',
      ].join('\n'),
    );
    const env = cliEnv(`ray-restart-${id}`, { MLOPS_RAY_ADDRESS: ray.address });
    workers.push(await startWorkerProcess(env));
    const workflowId = `train/ray-restart/${id}`;
    const handle = await testEnv.client.workflow.start(trainModel, {
      workflowId,
      taskQueue: env.MLOPS_TASK_QUEUE ?? '',
      args: [
        {
          pipeline: 'ray-restart',
          trainingTaskQueue: env.MLOPS_TRAINING_TASK_QUEUE ?? '',
          job: {
            name: `slow-ray-job-${id}`,
            command: ['python', 'train.py'],
            codeDir,
            env: { COUNTER: counter },
            params: {},
            backend: 'ray',
          },
        },
      ],
    });
    // wait until the Ray job runs and its id is in a heartbeat, then kill the worker without warning
    const deadline = Date.now() + 60_000;
    let beat: TrainingHeartbeat | undefined;
    while (beat?.state !== 'running') {
      assert.ok(Date.now() < deadline, 'the job never reported running');
      await new Promise((r) => setTimeout(r, 300));
      beat = await pendingHeartbeat<TrainingHeartbeat>(testEnv.client, handle);
    }
    assert.equal(beat.jobId, rayJobIdOf(`${workflowId}/train#0`), 'a Ray submission id made from the key');
    workers[0]!.kill('SIGKILL');
    workers.push(await startWorkerProcess(env));

    const result = await handle.result();
    assert.deepEqual(result.metrics, { auc: 0.9 });
    assert.equal(result.jobId, beat.jobId, 'the retried activity re-attached to the same Ray job');
    const res = await fetch(`${ray.address}/api/jobs/`);
    const jobs = (await res.json()) as { submission_id: string | null; metadata?: Record<string, string> }[];
    const ours = jobs.filter((j) => j.metadata?.mlops_job === `slow-ray-job-${id}`);
    assert.deepEqual(
      ours.map((j) => j.submission_id),
      [beat.jobId],
      'exactly one Ray submission for this run',
    );
    assert.equal(fs.readFileSync(counter, 'utf8'), 'ran\n', 'exactly one training process ran');
  });
});
