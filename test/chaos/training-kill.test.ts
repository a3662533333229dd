/**
 * Fault (e) of docs/reliability.md: the training process itself killed with `kill -9` (as the OOM
 * killer does) while the worker stays up. The attempt fails naming the job, the signal and the
 * attempt; the retry policy runs the job again as a fresh job (a new job id and folder, never the
 * dead one re-attached), and the run completes. A job that fails on its own (an exit code) is not
 * retried.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRoutingBackend, createTrainingActivities, type RunTrainingJobInput } from '../../activities/training';
import type { TrainingHeartbeat } from '../../activities/training/activity';
import { REPO_ROOT } from '../../lib/tools';
import { trainModel } from '../../workflows';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';
import { silentLogger as quiet } from '../support/loggers';

/**
 * A job that appends `<job id> <pid>` to `$STARTS` when it starts; the first one then waits (as
 * `sleep`, so its pid is the process to kill), later ones write their metrics and end.
 */
const JOB_SCRIPT = [
  'echo "$MLOPS_JOB_ID $$" >> "$STARTS"',
  'if [ "$(wc -l < "$STARTS")" -eq 1 ]; then exec sleep 300; fi',
  'echo \'{"auc": 0.9}\' > "$MLOPS_OUTPUT_DIR/metrics.json"',
].join('\n');

describe('a training process killed with SIGKILL while the worker stays up', function () {
  this.timeout(120_000);

  /** Runs `trainModel` for a shell job on an in-process worker whose jobs live under `workRoot`. */
  const setup = (script: string) => {
    const { tmpDir, env } = testStack();
    const id = randomUUID().slice(0, 8);
    const store = testS3Store(`train-kill-${id}`);
    const workRoot = path.join(tmpDir, `train-kill-${id}-jobs`);
    const starts = path.join(tmpDir, `train-kill-${id}-starts.txt`);
    const deps = {
      ...testDeps(store),
      trainingBackend: createRoutingBackend({
        local: { store, workRoot, python: path.join(REPO_ROOT, '.venv', 'bin', 'python'), killGraceMs: 2000 },
      }),
    };
    const queue = uniqueQueue('train-kill');
    const start = () =>
      env.client.workflow.start(trainModel, {
        workflowId: `train/kill/${id}`,
        taskQueue: queue,
        args: [
          {
            pipeline: 'kill',
            trainingTaskQueue: queue,
            job: {
              name: 'oom-job',
              command: ['sh', '-c', script],
              codeDir: tmpDir,
              env: { STARTS: starts },
              params: {},
            },
          },
        ],
      });
    const started = () => (fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').trim().split('\n') : []);
    const jobFolders = () => (fs.existsSync(workRoot) ? fs.readdirSync(workRoot).sort() : []);
    return { queue, deps, workRoot, starts, start, started, jobFolders };
  };

  it('fails the attempt naming the job, the signal and the attempt, and completes with a fresh job', async () => {
    const { queue, deps, workRoot, start, started, jobFolders } = setup(JOB_SCRIPT);
    await withWorker(queue, deps, async () => {
      const handle = await start();
      const deadline = Date.now() + 30_000;
      while (started().length === 0) {
        assert.ok(Date.now() < deadline, 'the job never started');
        await sleep(50);
      }
      const [firstJob, pid] = started()[0]!.split(' ');
      process.kill(Number(pid), 'SIGKILL');

      const result = await handle.result();
      assert.deepEqual(result.metrics, { auc: 0.9 }, 'the run completed with the second job’s metrics');

      const jobs = started().map((line) => line.split(' ')[0]);
      assert.equal(jobs.length, 2, `two processes ran, one per attempt: ${started().join(' | ')}`);
      assert.notEqual(jobs[1], firstJob, 'the retry started a fresh job instead of re-attaching to the dead one');
      assert.equal(result.jobId, jobs[1]);
      assert.deepEqual(jobFolders(), [firstJob, jobs[1]].sort(), 'one folder per job, the dead one kept for a look');
      assert.equal(fs.readFileSync(path.join(workRoot, firstJob!, 'exit-status'), 'utf8').trim(), '137');

      // the history: the activity's second attempt carries the first one's failure
      const { events } = await handle.fetchHistory();
      const scheduled = events!.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTrainingJob',
      );
      const startedEvent = events!.find(
        (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString(),
      )?.activityTaskStartedEventAttributes;
      assert.equal(startedEvent?.attempt, 2, 'the job ran in a second attempt');
      const failure = startedEvent?.lastFailure;
      assert.equal(failure?.applicationFailureInfo?.type, 'TrainingJobLost');
      assert.equal(failure?.applicationFailureInfo?.nonRetryable ?? false, false);
      const message = failure?.message ?? '';
      assert.match(message, new RegExp(`oom-job \\(${firstJob}\\)`), message);
      assert.match(message, /killed by SIGKILL \(exit code 137\)/, message);
      assert.match(message, /attempt 1\b/, message);
    });
  });

  it('does not retry a job that fails with an exit code of its own', async () => {
    const script = 'echo "$MLOPS_JOB_ID $$" >> "$STARTS"; echo "bad param: depth" >&2; exit 3';
    const { queue, deps, start, started, jobFolders } = setup(script);
    await withWorker(queue, deps, async () => {
      const handle = await start();
      const err = await handle.result().then(
        () => assert.fail('the run should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const messages: string[] = [];
      for (let e: Error | undefined = err; e; e = e.cause as Error | undefined) messages.push(e.message);
      assert.match(messages.join('\n'), /oom-job .*failed with exit code 3[\s\S]*bad param: depth/);
      assert.equal(started().length, 1, 'one process, no retry');
      assert.equal(jobFolders().length, 1);
    });
  });

  it('starts a fresh job even when the failed attempt’s last heartbeat still said running', async () => {
    // the worker may die between the job's death and the heartbeat saying so: the retry then knows
    // only the dead job's id, and must not resume it
    const { deps, starts, started, jobFolders } = setup(JOB_SCRIPT);
    const { runTrainingJob } = createTrainingActivities(deps);
    const input: RunTrainingJobInput = {
      job: {
        name: 'oom-job',
        command: ['sh', '-c', JOB_SCRIPT],
        codeDir: testStack().tmpDir,
        env: { STARTS: starts },
        params: {},
        outputPrefix: 'experiments/kill/run-1/trials/1',
      },
      step: 'train',
      pollIntervalMs: 100,
    };
    const attempt = (n: number, heartbeatDetails?: TrainingHeartbeat) => {
      const env = new MockActivityEnvironment({ attempt: n, heartbeatDetails }, { logger: quiet });
      const beats: TrainingHeartbeat[] = [];
      env.on('heartbeat', (beat: TrainingHeartbeat) => beats.push(beat));
      return { beats, done: env.run(runTrainingJob, input) as ReturnType<typeof runTrainingJob> };
    };

    const first = attempt(1);
    const deadline = Date.now() + 30_000;
    while (!first.beats.some((b) => b.state === 'running')) {
      assert.ok(Date.now() < deadline, 'the job never reported running');
      await sleep(50);
    }
    const running = first.beats.find((b) => b.state === 'running')!;
    process.kill(Number(started()[0]!.split(' ')[1]), 'SIGKILL');
    await assert.rejects(first.done, /was lost in attempt 1: killed by SIGKILL/);

    const second = await attempt(2, running).done;
    assert.deepEqual(second.metrics, { auc: 0.9 });
    assert.notEqual(second.jobId, running.jobId, 'a fresh job, not the dead one');
    assert.equal(started().length, 2);
    assert.equal(jobFolders().length, 2);
  });
});
