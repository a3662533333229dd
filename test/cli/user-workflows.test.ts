/**
 * User workflows on the worker: `mlops worker --workflows` bundles workflow files that live outside
 * the repository (with and without the package installed next to them) with the built-in ones,
 * refuses a module that imports what the sandbox refuses before it polls anything, and a spec
 * naming `workflow:` is started by `mlops run` and read back by `mlops status` and `mlops runs list`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';

/** A code pipeline in the smallest form: answers the `status` query and returns. */
const TINY_PIPELINE = `
import { defineQuery, setHandler, sleep } from '@temporalio/workflow';
import * as blocks from 'temporal-mlops/workflow';

const statusQuery = defineQuery<unknown>('status');

export async function tinyPipeline(input: { spec: { name: string; model: string }; trigger: string }) {
  const status = {
    pipeline: input.spec.name,
    model: input.spec.model,
    stage: 'done',
    trigger: input.trigger,
    steps: [{ name: 'hello', state: 'done', summary: 'blocks: ' + typeof blocks }],
    links: {},
  };
  setHandler(statusQuery, () => status);
  await sleep(10);
  return { ...status, outcome: 'approved' };
}
`;

/** A second module, from a folder that has the package installed (node_modules/temporal-mlops). */
const GREETING = `
import { workflowInfo } from '@temporalio/workflow';
import type { PipelineSpec } from 'temporal-mlops/client';

export async function greeting(name: string): Promise<string> {
  const spec: PipelineSpec | undefined = undefined;
  return 'hello ' + name + ' from ' + workflowInfo().workflowType + String(spec ?? '');
}
`;

const SPEC = `name: tiny
workflow: tinyPipeline
model: tiny
dataset:
  name: tiny
  source: data
training:
  entrypoint: [python, train.py]
evaluation:
  entrypoint: [python, evaluate.py]
  primaryMetric: auc
`;

describe('user workflows on the worker', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'user-workflows-'));
    assert.ok(!dir.startsWith(REPO_ROOT + path.sep), 'the user files live outside the repository');
  });

  /** Writes `text` to `<dir>/<name>` and returns the path. */
  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  /** The pollers on the workflow task queue `queue`. */
  async function pollers(queue: string) {
    const { env, namespace } = testStack();
    const response = await env.client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return response.pollers ?? [];
  }

  it('refuses a module that imports a Node built-in, an activity or the client, before polling', async () => {
    const env = cliEnv(`uw-bad-${randomUUID().slice(0, 8)}`);
    const bad = write(
      'bad/workflows.ts',
      [
        `import fs from 'node:fs';`,
        `import { Connection } from '@temporalio/client';`,
        `export async function a() { return fs.existsSync('/') && typeof Connection; }`,
      ].join('\n'),
    );
    const activity = write(
      'bad-activity/workflows.ts',
      [
        `import { createActivities } from '${path.join(REPO_ROOT, 'activities')}';`,
        `export async function b() { return typeof createActivities; }`,
      ].join('\n'),
    );
    const [flag, config] = await Promise.all([
      runCli(['worker', '--workflows', path.dirname(bad)], env, 60_000),
      // the config key, as a worker in a container would have it
      runCli(['worker'], { ...env, MLOPS_WORKFLOWS: activity }, 60_000),
    ]);
    const refusals: [typeof flag, string, string][] = [
      [flag, bad, 'node:fs'],
      [flag, bad, '@temporalio/client'],
      [config, activity, path.join(REPO_ROOT, 'activities')],
    ];
    for (const [r, file, request] of refusals) {
      assert.equal(r.code, 2, r.stderr);
      assert.ok(
        r.stderr.includes(`${file}: imports ${request}, which workflow code may not use`),
        `names ${file} and ${request}:\n${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /worker polling/);
    }
    assert.deepEqual(await pollers(env.MLOPS_TASK_QUEUE!), [], 'no worker ever polled');

    const missing = await runCli(['worker', '--workflows', path.join(dir, 'nope.ts')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--workflows: .*nope\.ts does not exist/);
  });

  it('refuses a spec whose workflow is not a function name, naming the field', async () => {
    write('data/rows.csv', 'a\n1\n');
    write('train.py', '');
    write('evaluate.py', '');
    const file = write('bad-workflow.yaml', SPEC.replace('workflow: tinyPipeline', 'workflow: tiny-pipeline'));
    const r = await runCli(['run', 'tiny', '--spec', file], cliEnv('uw-spec'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-workflow\.yaml:2: workflow: the name of an exported workflow function/);
  });

  it('bundles files from outside the repository, and mlops run starts the workflow the spec names', async () => {
    const env = cliEnv(`uw-${randomUUID().slice(0, 8)}`);
    const tiny = write('plain/tiny.ts', TINY_PIPELINE);
    // a folder with the package installed, as a team's repository depending on it would have it
    write('installed/greeting.ts', GREETING);
    write('installed/greeting.test.ts', 'throw new Error("tests are not workflow modules");\n');
    fs.mkdirSync(path.join(dir, 'installed', 'node_modules'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, path.join(dir, 'installed', 'node_modules', 'temporal-mlops'));
    write('data/rows.csv', 'a\n1\n');
    write('train.py', '');
    write('evaluate.py', '');
    const specFile = write('tiny.yaml', SPEC);

    const worker = startCli(['worker', '--workflows', tiny, '--workflows', path.join(dir, 'installed')], env);
    let log = '';
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const deadline = Date.now() + 90_000;
      while (!/worker polling/.test(log)) {
        assert.ok(Date.now() < deadline && worker.exitCode === null, `the worker never polled:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(log, new RegExp(`registered user workflows tinyPipeline from ${tiny}`));
      assert.match(log, /registered user workflows greeting from .*installed\/greeting\.ts/);

      const started = await runCli(
        ['--json', 'run', 'tiny', '--spec', specFile, '--reason', 'a code pipeline', '--no-wait'],
        env,
      );
      assert.equal(started.code, 0, started.stderr);
      const { workflowId, workflowType } = JSON.parse(started.stdout) as { workflowId: string; workflowType: string };
      assert.match(workflowId, /^retrain\/tiny\//);
      assert.equal(workflowType, 'tinyPipeline');

      const { env: testEnv } = testStack();
      const result = await testEnv.client.workflow.getHandle(workflowId).result();
      assert.equal((result as { outcome: string }).outcome, 'approved');

      const status = await runCli(['--json', 'status', workflowId], env);
      assert.equal(status.code, 0, status.stderr);
      const body = JSON.parse(status.stdout) as { pipeline: string; steps: { name: string; summary: string }[] };
      assert.equal(body.pipeline, 'tiny');
      assert.deepEqual(body.steps[0], { name: 'hello', state: 'done', summary: 'blocks: object' });

      // listed as a pipeline run by default, found by its pipeline though it set no search attribute itself
      let listed: { workflowId: string; type: string; pipeline?: string; trigger?: string }[] = [];
      for (let i = 0; i < 50 && !listed.some((r) => r.workflowId === workflowId); i++) {
        const runs = await runCli(['--json', 'runs', 'list', '--pipeline', 'tiny'], env);
        assert.equal(runs.code, 0, runs.stderr);
        listed = (JSON.parse(runs.stdout) as { runs: typeof listed }).runs;
        await new Promise((r) => setTimeout(r, 200));
      }
      const row = listed.find((r) => r.workflowId === workflowId);
      assert.deepEqual(row && [row.type, row.pipeline, row.trigger], ['tinyPipeline', 'tiny', 'manual']);

      const greeted = await testEnv.client.workflow.execute('greeting', {
        taskQueue: env.MLOPS_TASK_QUEUE!,
        workflowId: `greeting-${randomUUID()}`,
        args: ['you'],
      });
      assert.equal(greeted, 'hello you from greeting');
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  });
});
