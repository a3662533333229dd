/**
 * A lean pipeline: how much of one churn retrain's wall time is not spent inside its jobs. The
 * real churn example (examples/churn: its spec, its data generator, `train.py` and `evaluate.py`
 * run by the local process backend from the venv) on one dev server, with one in-process worker
 * per task queue (workflows and light activities; training and evaluation jobs) and a filesystem
 * store; approval not required and no rollout, so each run ends on its own once the approved
 * version is promoted; notifications go to a webhook on 127.0.0.1 that answers 200.
 *
 * After a warm-up (the first version), `MLOPS_BENCH_PIPELINE_RUNS` forced retrains (default 5) run
 * one at a time; each retrain's history and its train child's are read by ./pipeline-history.ts:
 * wall time (first to last event of the retrain), the jobs' own run time (their processes' start
 * and exit, which `runTrainingJob` returns) and the rest, per step. The rows give the median run.
 */
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { parseDocument } from 'yaml';
import { createActivities } from '../activities';
import { createBlobStore } from '../activities/storage';
import { createTrainingBackend } from '../activities/training';
import { pipelineSpecSchema } from '../common/schemas/spec';
import { REPO_ROOT } from '../lib/tools';
import { retrainPipeline } from '../workflows/retrain-pipeline';
import { startBenchServer } from './dev-server';
import { bundlerLogger, type BenchRow } from './measure';
import { breakdown, type RunBreakdown } from './pipeline-history';

/** The overhead target of one retrain, ms. */
const TARGET_MS = 2000;
const DEFAULT_RUNS = 5;
/** Rows the churn generator writes (its README's size). */
const ROWS = 5000;
const QUEUE = 'bench-pipeline';
const TRAINING_QUEUE = 'bench-pipeline-training';
const WEBHOOK_ENV = 'MLOPS_WEBHOOK_BENCH';

function runs(): number {
  const n = Number(process.env.MLOPS_BENCH_PIPELINE_RUNS ?? DEFAULT_RUNS);
  if (!Number.isInteger(n) || n < 1 || n > 50)
    throw new Error('MLOPS_BENCH_PIPELINE_RUNS: give a whole number from 1 to 50');
  return n;
}

let lastRuns: RunBreakdown[] = [];

export function pipelineNotes(): string {
  const each = lastRuns
    .map((r) => `${(r.overheadMs / 1000).toFixed(2)} s of ${(r.wallMs / 1000).toFixed(2)} s`)
    .join(', ');
  const counts = lastRuns[0]
    ? ` The median run's histories hold ${lastRuns[0].activityTasks} activity tasks, ${lastRuns[0].localActivities} local activities and ${lastRuns[0].workflowTasks} workflow tasks (retrain and train child).`
    : '';
  return (
    'One churn retrain (examples/churn: its spec without rollout and monitoring, approval not required, ' +
    `its generator’s ${ROWS} rows, the real \`train.py\` and \`evaluate.py\` from .venv on the local process ` +
    'backend) on one dev server with in-process workers for the workflow and the training queues and a ' +
    'filesystem store; notifications go to a webhook on 127.0.0.1. After a warm-up run (the first version), ' +
    `${runs()} forced retrains one at a time (\`MLOPS_BENCH_PIPELINE_RUNS\`), each evaluating the candidate and ` +
    'the champion. From each history (the retrain and its train child): the wall time from the first to the ' +
    'last event of the retrain, the time inside jobs (the union of the job processes’ own start-to-exit times, ' +
    'which `runTrainingJob` returns as `ran`) and the rest, the overhead, given to the step whose activity ' +
    'was running or waiting for a worker then, else to the workflow task running then (a task that ran local ' +
    'activities goes to their step), else to the server between tasks. The first row’s anchor is the time ' +
    'inside jobs of the same run; the step rows’ anchor is the whole overhead (their share). Median run ' +
    `shown; overhead of each run: ${each || '—'}.${counts} Reproduce with \`npx tsx bench/run.ts pipeline\`.`
  );
}

export async function runPipelineBench(): Promise<BenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-pipeline-'));
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  const data = path.join(work, 'data');
  execFileSync(python, ['examples/churn/generate_data.py', '--rows', String(ROWS), '--seed', '1', '--out', data], {
    cwd: REPO_ROOT,
  });
  const webhook = await startWebhook();
  process.env[WEBHOOK_ENV] = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  const env = await startBenchServer();
  try {
    const store = createBlobStore({ kind: 'file', uri: `file://${work}/store`, root: path.join(work, 'store') });
    const activities = createActivities({
      store,
      cacheDir: path.join(work, 'cache'),
      openStore: () => store,
      trainingBackend: createTrainingBackend('local', { store, workRoot: path.join(work, 'jobs'), python }),
    });
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: bundlerLogger,
    });
    const common = {
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      activities,
      maxHeartbeatThrottleInterval: '2s',
    };
    const workers = [
      await Worker.create({ ...common, taskQueue: QUEUE, workflowBundle }),
      await Worker.create({ ...common, taskQueue: TRAINING_QUEUE }),
    ];
    const spec = churnSpec(data);
    const retrain = async (name: string): Promise<RunBreakdown> => {
      const workflowId = `retrain/churn/bench-${name}`;
      await env.client.workflow.execute(retrainPipeline, {
        workflowId,
        taskQueue: QUEUE,
        args: [{ spec, trigger: 'manual', actor: 'bench', force: true, trainingTaskQueue: TRAINING_QUEUE }],
      });
      const own = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const child = await env.client.workflow.getHandle(`train/${workflowId}`).fetchHistory();
      const result = breakdown(workflowId, [
        { events: own.events ?? [], jobStep: 'evaluate' },
        { events: child.events ?? [], jobStep: 'train', childStep: 'train' },
      ]);
      // each run's breakdown on stderr, for a closer look than the median's rows
      if (process.env.MLOPS_BENCH_PIPELINE_VERBOSE === '1') console.error(JSON.stringify(result));
      const dump = process.env.MLOPS_BENCH_PIPELINE_DUMP;
      if (dump) {
        fs.mkdirSync(dump, { recursive: true });
        fs.writeFileSync(path.join(dump, `${name}.json`), JSON.stringify(historyToJSON(own)));
        fs.writeFileSync(path.join(dump, `${name}-train.json`), JSON.stringify(historyToJSON(child)));
        fs.cpSync(path.join(work, 'store', 'models'), path.join(dump, 'models'), { recursive: true });
      }
      return result;
    };
    const running = workers.map((w) => w.run());
    let measured: RunBreakdown[];
    try {
      measured = (await Promise.race([
        ...running,
        (async () => {
          await retrain('warm-up');
          const out: RunBreakdown[] = [];
          for (let i = 1; i <= runs(); i++) out.push(await retrain(String(i)));
          return out;
        })(),
      ])) as RunBreakdown[];
    } finally {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(running);
    }
    return rows(measured);
  } finally {
    await env.teardown();
    webhook.close();
    delete process.env[WEBHOOK_ENV];
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The example's spec, its paths made absolute, without serving (rollout, monitoring) or a schedule. */
function churnSpec(data: string) {
  const example = path.join(REPO_ROOT, 'examples', 'churn');
  const raw = parseDocument(fs.readFileSync(path.join(example, 'pipeline.yaml'), 'utf8')).toJS() as Record<
    string,
    Record<string, unknown>
  >;
  raw.dataset!.source = data;
  raw.training!.codeDir = example;
  raw.evaluation!.codeDir = example;
  raw.notifications = { webhookEnv: WEBHOOK_ENV };
  delete raw.rollout;
  delete raw.monitoring;
  delete raw.schedule;
  return pipelineSpecSchema.parse(raw);
}

/** A webhook on loopback that accepts every post. */
async function startWebhook(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function rows(measured: RunBreakdown[]): BenchRow[] {
  const sorted = [...measured].sort((a, b) => a.overheadMs - b.overheadMs);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  lastRuns = [median, ...measured.filter((r) => r !== median)];
  const ms = (name: string, value: number) => ({ name, ms: value, units: 1, unitName: 'run', latency: true });
  const out: BenchRow[] = [
    {
      scenario: 'overhead of one churn retrain (wall time outside its jobs)',
      ours: ms('overhead', median.overheadMs),
      anchor: ms('time inside jobs', median.jobMs),
      target: `< ${TARGET_MS / 1000} s overhead`,
      met: median.overheadMs < TARGET_MS,
      detail: `wall ${(median.wallMs / 1000).toFixed(2)} s = jobs ${(median.jobMs / 1000).toFixed(2)} s + overhead ${(median.overheadMs / 1000).toFixed(2)} s`,
    },
  ];
  for (const s of median.steps) {
    const parts = [
      `${((s.ms / median.overheadMs) * 100).toFixed(0)}% of the overhead`,
      ...(s.queuedMs > 0.5 ? [`waiting for a worker ${s.queuedMs.toFixed(0)} ms`] : []),
      ...(s.taskMs > 0.5 ? [`workflow tasks ${s.taskMs.toFixed(0)} ms`] : []),
    ];
    out.push({
      scenario: `step: ${s.step}`,
      ours: ms(s.step, s.ms),
      anchor: ms('whole overhead', median.overheadMs),
      target: '',
      detail: parts.join('; '),
    });
  }
  return out;
}
