/**
 * Sweep overhead: a 40-trial random sweep of 1-second trials on the local backend with parallelism
 * 2, through the whole machinery (a Temporal dev server, one child workflow per trial, tracking in a
 * filesystem store, a training worker running real processes, the HTML report), against
 *   - the ideal: trials × duration / parallelism, and
 *   - the same 40 processes run directly, two at a time (what the machine itself needs).
 * Target: the sweep's wall time ≤ 1.15 × the ideal.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createBlobStore } from '../activities/storage';
import { createTrainingBackend } from '../activities/training';
import { sweepSectionSchema } from '../common/schemas/sweep';
import { REPO_ROOT } from '../lib/tools';
import { hyperparameterSweep } from '../workflows/hyperparameter-sweep';
import { startBenchServer } from './dev-server';
import { pool, type BenchRow, bundlerLogger } from './measure';

const TRIALS = 40;
const TRIAL_SECONDS = 1;
const PARALLELISM = 2;
const TARGET = 1.15;

/** The trial: sleeps one second, then writes its one metric. */
const TRIAL_SCRIPT =
  'import json, os, time\n' +
  'time.sleep(float(os.environ.get("TRIAL_SECONDS", "1")))\n' +
  'p = json.loads(os.environ["MLOPS_PARAMS"])\n' +
  'json.dump({"score": 1 - (p["x"] - 0.3) ** 2}, open(os.path.join(os.environ["MLOPS_OUTPUT_DIR"], "metrics.json"), "w"))\n';

export type SweepBenchRow = BenchRow & { met: boolean };

export const SWEEP_BENCH_NOTES =
  `A random sweep of ${TRIALS} trials that each sleep ${TRIAL_SECONDS} s in a Python process, ${PARALLELISM} at a time, ` +
  'on the local process backend with a filesystem store, one dev server and one worker process. The anchor is the ' +
  'ideal wall time (trials × duration / parallelism); the notes also give the same processes run directly ' +
  `${PARALLELISM} at a time. Target: at most ${TARGET}× the ideal. One repetition (a sweep takes tens of seconds). ` +
  'Where a trial’s overhead goes (from the histories): the trial’s two workflow tasks and the sweep’s one on the ' +
  'SQLite dev server (about 20 ms each), the job’s launch, polling and output upload (about 40 ms, writes fsync’d), ' +
  'and the tracking writes; the trial record is written alongside the job, not before it.';

export async function runSweepBench(): Promise<SweepBenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-sweep-'));
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  const codeDir = path.join(work, 'code');
  fs.mkdirSync(codeDir);
  fs.writeFileSync(path.join(codeDir, 'trial.py'), TRIAL_SCRIPT);
  const env = await startBenchServer();
  try {
    const store = createBlobStore({ kind: 'file', uri: `file://${work}/store`, root: path.join(work, 'store') });
    const deps = {
      store,
      cacheDir: path.join(work, 'cache'),
      openStore: () => store,
      trainingBackend: createTrainingBackend('local', { store, workRoot: path.join(work, 'jobs'), python }),
    };
    const activities = createActivities(deps);
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: bundlerLogger,
    });
    const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
    const orchestration = await Worker.create({ ...common, taskQueue: 'bench-mlops', workflowBundle, activities });
    const training = await Worker.create({
      ...common,
      taskQueue: 'bench-training',
      activities,
      maxHeartbeatThrottleInterval: '2s',
    });
    const sweep = sweepSectionSchema.parse({
      algorithm: 'random',
      seed: 1,
      maxTrials: TRIALS,
      parallelism: PARALLELISM,
      objective: { metric: 'score', direction: 'maximize' },
      space: { x: { type: 'uniform', min: 0, max: 1 } },
    });
    const runSweep = async (name: string, trials: number) => {
      const started = process.hrtime.bigint();
      await env.client.workflow.execute(hyperparameterSweep, {
        workflowId: `sweep/bench/${name}`,
        taskQueue: 'bench-mlops',
        args: [
          {
            pipeline: 'bench',
            trainingTaskQueue: 'bench-training',
            sweep: { ...sweep, maxTrials: trials },
            job: {
              name: 'sleep',
              command: ['python', 'trial.py'],
              codeDir,
              env: { TRIAL_SECONDS: String(TRIAL_SECONDS) },
              params: {},
            },
          },
        ],
      });
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const running = [orchestration.run(), training.run()];
    let sweepMs: number;
    try {
      sweepMs = (await Promise.race([
        ...running,
        (async () => {
          await runSweep('warm-up', 2);
          return runSweep('main', TRIALS);
        })(),
      ])) as number;
    } finally {
      orchestration.shutdown();
      training.shutdown();
      await Promise.allSettled(running);
    }
    const directMs = await timeDirect(python, codeDir);
    const idealMs = (TRIALS * TRIAL_SECONDS * 1000) / PARALLELISM;
    const ratio = sweepMs / idealMs;
    return [
      {
        scenario: `${TRIALS}-trial random sweep, ${TRIAL_SECONDS} s trials, parallelism ${PARALLELISM}`,
        ours: { name: 'mlops sweep', ms: sweepMs as number, units: TRIALS, unitName: 'trial' },
        anchor: { name: 'ideal', ms: idealMs, units: TRIALS, unitName: 'trial' },
        target: `≤ ${TARGET}× ideal`,
        met: ratio <= TARGET,
        detail:
          `the same ${TRIALS} processes run directly ${PARALLELISM} at a time: ${(directMs / 1000).toFixed(1)} s ` +
          `(${(directMs / idealMs).toFixed(2)}× ideal); per-trial overhead of the sweep over them: ` +
          `${((sweepMs - directMs) / (TRIALS / PARALLELISM)).toFixed(0)} ms`,
      },
    ];
  } finally {
    await env.teardown();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The trial processes alone, `PARALLELISM` at a time. */
async function timeDirect(python: string, codeDir: string): Promise<number> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-direct-'));
  const started = process.hrtime.bigint();
  await pool(TRIALS, PARALLELISM, async (i) => {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(python, ['trial.py'], {
        cwd: codeDir,
        env: {
          ...process.env,
          TRIAL_SECONDS: String(TRIAL_SECONDS),
          MLOPS_PARAMS: `{"x": ${i / TRIALS}}`,
          MLOPS_OUTPUT_DIR: out,
        },
        stdio: 'ignore',
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`trial exited ${code}`))));
    });
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  fs.rmSync(out, { recursive: true, force: true });
  return ms;
}
