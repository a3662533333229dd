/**
 * A team's own repository outside this checkout, with the package installed as a dependency
 * (`node_modules/temporal-mlops`, and the Temporal SDK beside it): its pipeline file imports
 * `temporal-mlops/workflow` and type-checks against the package's published types; Node resolves
 * `temporal-mlops/workflow` and `temporal-mlops/client` through the package's `exports`; and the
 * pipeline runs like the built-in one — a worker started with `--workflows` on the team's folder, a
 * Schedule from `mlops pipeline apply` that starts the pipeline's workflow, `mlops approve` (an
 * outsider refused), a run started by a script of the team's through the client API and stopped
 * with `mlops cancel`, `mlops runs list`, and a replay of its history against the bundle that
 * `mlops bundle --workflows` writes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';

const run = promisify(execFile);

/** The team's pipeline: the blocks' run context and approval, waiting for a reviewer's decision. */
const REVIEW_PIPELINE = `import { condition } from '@temporalio/workflow';
import { pipelineRun, type PipelineInput, type PipelineOutput } from 'temporal-mlops/workflow';

export async function reviewPipeline(input: PipelineInput): Promise<PipelineOutput> {
  const run = pipelineRun(input, { steps: ['review'] });
  return run.execute(async () => {
    run.stage('awaiting-approval');
    run.approval.openFor(run.spec.approval?.approvers, { model: run.spec.model, version: 1 });
    run.begin('review', 'awaiting a reviewer');
    await condition(() => run.approval.decided !== undefined);
    const decided = run.approval.decided!;
    run.end('review', decided.decision === 'approved' ? 'done' : 'failed', decided.decision + ' by ' + decided.actor);
    return run.finish(decided.decision === 'approved' ? 'approved' : 'rejected');
  });
}
`;

/** The team's script: starts a run through the client API, as a CI job or a service would. */
const START_SCRIPT = `const { Client, Connection } = require('@temporalio/client');
const { loadPipelineSpec, startPipeline } = require('temporal-mlops/client');

async function main() {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE });
  const { spec, file } = loadPipelineSpec(process.argv[2]);
  const started = await startPipeline(client, {
    spec,
    specFile: file,
    trigger: 'ci',
    actor: 'ci-bot',
    reason: 'started by the team script',
    taskQueue: process.env.MLOPS_TASK_QUEUE,
    trainingTaskQueue: process.env.MLOPS_TRAINING_TASK_QUEUE,
  });
  console.log(JSON.stringify({ workflowId: started.workflowId, workflowType: started.workflowType }));
  await connection.close();
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

const TSCONFIG = {
  compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', noEmit: true, skipLibCheck: true },
  files: ['pipelines/review.ts'],
};

describe('a pipeline in a team repository that installs the package', function () {
  this.timeout(180_000);
  const id = randomUUID().slice(0, 8);
  const pipeline = `review-${id}`;
  let team: string;
  let env: NodeJS.ProcessEnv;

  /** `mlops <args>` run from the team's folder. */
  const mlops = async (...args: string[]) => {
    const r = await runCli(['--json', ...args], env, 60_000, { cwd: team });
    return { ...r, body: r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };

  before(() => {
    team = fs.mkdtempSync(path.join(testStack().tmpDir, 'team-'));
    assert.ok(!team.startsWith(REPO_ROOT + path.sep), 'the team repository lives outside the checkout');
    env = { ...cliEnv(`team-${id}`), MLOPS_ACTOR: 'dana' };
    const write = (name: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(team, name)), { recursive: true });
      fs.writeFileSync(path.join(team, name), text);
    };
    // installed as `npm install temporal-mlops @temporalio/workflow @temporalio/client` would
    fs.mkdirSync(path.join(team, 'node_modules'));
    fs.symlinkSync(REPO_ROOT, path.join(team, 'node_modules', 'temporal-mlops'));
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@temporalio'), path.join(team, 'node_modules', '@temporalio'));
    write('pipelines/review.ts', REVIEW_PIPELINE);
    write('start.js', START_SCRIPT);
    write('tsconfig.json', JSON.stringify(TSCONFIG, null, 2));
    write('data/rows.csv', 'a\n1\n');
    write('train.py', '');
    write('evaluate.py', '');
    write(
      'review.yaml',
      [
        `name: ${pipeline}`,
        'workflow: reviewPipeline',
        `model: ${pipeline}`,
        'dataset:',
        `  name: ${pipeline}`,
        '  source: data',
        '  workerPath: true',
        'training:',
        '  entrypoint: [python, train.py]',
        'evaluation:',
        '  entrypoint: [python, evaluate.py]',
        '  primaryMetric: auc',
        'approval:',
        '  required: true',
        '  approvers: [dana]',
        '  timeout: 1h',
        'schedule:',
        "  cron: '0 3 * * *'",
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    const { client } = testStack().env;
    await client.schedule
      .getHandle(`retrain/${pipeline}`)
      .delete()
      .catch(() => undefined);
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH 'retrain/${pipeline}/'` }))
      if (wf.status.name === 'RUNNING')
        await client.workflow
          .getHandle(wf.workflowId)
          .terminate('test over')
          .catch(() => undefined);
  });

  it("type-checks against the package's types, and Node resolves both entry points through its exports", async () => {
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: team }).catch(
      (err: { stdout: string }) => assert.fail(`the team's pipeline does not type-check:\n${err.stdout}`),
    );
    assert.equal(checked.stdout, '');
    const resolve = `for (const e of ['workflow', 'client']) console.log(require.resolve('temporal-mlops/' + e))`;
    const { stdout } = await run(process.execPath, ['-e', resolve], { cwd: team });
    assert.deepEqual(
      stdout
        .trim()
        .split('\n')
        // the installed package is this checkout (Node resolves the link to it)
        .map((f) => path.relative(fs.realpathSync(REPO_ROOT), f)),
      [path.join('dist', 'workflows', 'sdk', 'index.js'), path.join('dist', 'client', 'api', 'index.js')],
    );
  });

  it('is scheduled, approved, started by the client API, cancelled, listed and replayed like the built-in one', async () => {
    const worker = startCli(['worker', '--workflows', 'pipelines'], env, { cwd: team });
    let log = '';
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      for (const deadline = Date.now() + 90_000; !/worker polling/.test(log);) {
        assert.ok(Date.now() < deadline && worker.exitCode === null, `the worker never polled:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(log, /registered user workflows reviewPipeline from .*pipelines\/review\.ts/);

      // the Schedule starts the pipeline's workflow with the spec as its input
      const applied = await mlops('pipeline', 'apply', 'review.yaml');
      assert.equal(applied.code, 0, applied.stderr);
      const { client } = testStack().env;
      const schedule = await client.schedule.getHandle(`retrain/${pipeline}`).describe();
      assert.equal(schedule.action.workflowType, 'reviewPipeline');
      const [input] = schedule.action.args as [{ spec: { name: string; workflow: string }; trigger: string }];
      assert.deepEqual([input.spec.name, input.spec.workflow, input.trigger], [pipeline, 'reviewPipeline', 'schedule']);

      const triggered = await mlops('schedule', 'trigger', pipeline);
      assert.equal(triggered.code, 0, triggered.stderr);
      const scheduled = (triggered.body as { started: string }).started;
      assert.match(scheduled, new RegExp(`^retrain/${pipeline}/scheduled`));
      const awaiting = async (workflowId: string) => {
        for (const deadline = Date.now() + 30_000; ;) {
          const s = await mlops('status', workflowId);
          if (s.code === 0 && (s.body as { stage: string }).stage === 'awaiting-approval') return s.body;
          assert.ok(Date.now() < deadline, `${workflowId} never awaited approval: ${s.stdout}${s.stderr}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      };
      const status = (await awaiting(scheduled)) as { pipeline: string; trigger: string; steps: object[] };
      assert.deepEqual([status.pipeline, status.trigger], [pipeline, 'schedule']);

      const outsider = await mlops('approve', scheduled, '--reason', 'looks fine', '--actor', 'mallory', '--no-sign');
      assert.equal(outsider.code, 1);
      assert.match(outsider.stderr, /approve refused: .*mallory/);
      const approved = await mlops('approve', scheduled, '--reason', 'reviewed', '--no-sign');
      assert.equal(approved.code, 0, approved.stderr);
      const result = (await client.workflow.getHandle(scheduled).result()) as { outcome: string; stage: string };
      assert.deepEqual([result.outcome, result.stage], ['approved', 'done']);

      // a run the team's script starts through the client API, stopped with mlops cancel
      const started = await run(process.execPath, ['start.js', 'review.yaml'], {
        cwd: team,
        env: { ...process.env, ...env },
      });
      const { workflowId, workflowType } = JSON.parse(started.stdout) as { workflowId: string; workflowType: string };
      assert.equal(workflowType, 'reviewPipeline');
      await awaiting(workflowId);
      const cancelled = await mlops('cancel', workflowId);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      await assert.rejects(client.workflow.getHandle(workflowId).result(), /cancel/i);
      assert.equal((await client.workflow.getHandle(workflowId).describe()).status.name, 'CANCELLED');

      let listed: { workflowId: string; type: string; trigger?: string; status: string }[] = [];
      for (let i = 0; i < 50 && !(listed.length >= 2 && listed.every((r) => r.status !== 'running')); i++) {
        const runs = await mlops('runs', 'list', '--pipeline', pipeline);
        assert.equal(runs.code, 0, runs.stderr);
        listed = (runs.body as { runs: typeof listed }).runs;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(
        listed.map((r) => [r.workflowId, r.type, r.trigger, r.status]).sort(),
        [
          [scheduled, 'reviewPipeline', 'schedule', 'completed'],
          [workflowId, 'reviewPipeline', 'ci', 'cancelled'],
        ].sort(),
      );

      // the team's replay test: the run's history against the bundle its worker would run
      const exported = await mlops('history', 'export', scheduled, '-o', 'review-approved.json');
      assert.equal(exported.code, 0, exported.stderr);
      const bundled = await mlops('bundle', '-o', 'bundle.js', '--workflows', 'pipelines');
      assert.equal(bundled.code, 0, bundled.stderr);
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(team, 'review-approved.json'), 'utf8')));
      const code = fs.readFileSync(path.join(team, 'bundle.js'), 'utf8');
      await Worker.runReplayHistory({ workflowBundle: { code } }, history, scheduled);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  });
});
