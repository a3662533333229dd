/**
 * Long operations wait by default: `mlops deploy` follows its rollout, printing steps, weights and
 * analyses as they change, and exits 4 when the candidate rolls back; `--no-wait` returns while the
 * rollout goes on, and `mlops rollout status --watch` follows it to its end; Ctrl-C stops the waiting,
 * not the rollout. The CLI is the real one, the rollout the real workflow and activities on the shared
 * dev server, over a fake serving backend whose variants' metrics the test chooses
 * (test/support/fake-serving.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ModelRegistry } from '../../activities/registry';
import type { VariantMetrics } from '../../activities/serving/types';
import { cliEnv, runCli, startCli } from '../support/cli';
import { FakeServing } from '../support/fake-serving';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, withWorker } from '../support/worker';

const MODEL = 'churn-wait';

const metrics = (errorRate: number): VariantMetrics => ({
  requests: 100,
  errorRate,
  latencyMs: { p50: 5, p95: 10 },
  predictions: Array.from({ length: 60 }, (_, i) => (i + 0.5) / 60),
});

describe('long operations wait by default, with live progress', function () {
  this.timeout(180_000);
  const prefix = `cli-wait-${randomUUID().slice(0, 8)}`;
  const endpoint = `wait-${randomUUID().slice(0, 6)}`;
  const rolloutId = `rollout/${endpoint}`;
  /** Variants whose every request fails. */
  const failing = new Set<string>();
  const serving = new FakeServing((variant) => metrics(failing.has(variant) ? 1 : 0));
  let env: NodeJS.ProcessEnv;

  const cli = (...args: string[]) => runCli(args, env, 120_000);
  const canary = (version: string, ...flags: string[]) => [
    ...['deploy', MODEL, version, '--endpoint', endpoint, '--steps', '50,100', '--analysis-interval', '1s'],
    ...['--min-requests', '5', '--termination-wait', '1s', ...flags],
  ];
  const withWorkers = <T>(fn: () => Promise<T>): Promise<T> => {
    const deps = { ...testDeps(testS3Store(prefix)), servingBackend: serving };
    return withWorker(env.MLOPS_TASK_QUEUE!, deps, () =>
      withWorker(
        env.MLOPS_TRAINING_TASK_QUEUE!,
        deps,
        () => withWorker(env.MLOPS_SERVING_TASK_QUEUE!, deps, fn, { workflows: false }),
        { workflows: false },
      ),
    );
  };

  before(async () => {
    env = cliEnv(prefix);
    const registry = new ModelRegistry(testS3Store(prefix));
    for (let k = 1; k <= 3; k++) {
      const { version } = await registry.registerModel({
        model: MODEL,
        artifactUri: `file:///fake/${MODEL}/${k}`,
        metrics: { auc: 0.8 },
        params: { k },
        trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
        codeVersion: 'sha256:test',
        pipelineRun: `retrain/${MODEL}/${k}`,
        trigger: 'manual',
      });
      await registry.setStatus(MODEL, version, 'approved', { actor: 'alice', reason: 'for the waiting tests' });
    }
  });

  it('deploy waits, printing the steps, weights and analyses as they change, and exits 4 when it rolls back', async () => {
    await withWorkers(async () => {
      const first = await cli('deploy', MODEL, '1', '--endpoint', endpoint, '--termination-wait', '1s');
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, new RegExp(`${endpoint}: ${MODEL} v1 promoted`));

      failing.add(`${MODEL}-v2`);
      const rolledBack = await cli(...canary('2', '--bake', '20s', '--failure-limit', '3'));
      assert.equal(rolledBack.code, 4, rolledBack.stderr);
      assert.match(
        rolledBack.stderr,
        new RegExp(`${MODEL} v2 baking · step 1/2 at 50%: \\[50%\\] → 100% · ${MODEL}-v2 50%, ${MODEL}-v1 50%`),
      );
      assert.match(rolledBack.stderr, /analysis at 50%: fail \(100 requests, error rate 100\.00%, p95 10 ms\)/);
      assert.match(rolledBack.stdout, new RegExp(`${endpoint}: ${MODEL} v2 rolled-back`));
      assert.match(rolledBack.stdout, /reason: .*3 failed analyses in a row/);

      // with machine output: the same exit, one JSON document, no progress lines
      const json = await cli('--json', ...canary('2', '--bake', '20s', '--failure-limit', '2'));
      assert.equal(json.code, 4, json.stderr);
      assert.equal((JSON.parse(json.stdout) as { outcome: string }).outcome, 'rolled-back');
      assert.doesNotMatch(json.stderr, /analysis at/);
    });
  });

  it('deploy --no-wait returns while the rollout goes on, and rollout status --watch follows it to its end', async () => {
    await withWorkers(async () => {
      const started = await cli('--json', ...canary('3', '--bake', '3s', '--no-wait'));
      assert.equal(started.code, 0, started.stderr);
      assert.deepEqual(Object.keys(JSON.parse(started.stdout) as object).sort(), ['runId', 'workflowId']);
      const handle = testStack().env.client.workflow.getHandle(rolloutId);
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'returned before the rollout ended');

      const watched = await cli('rollout', 'status', endpoint, '--watch');
      assert.equal(watched.code, 0, watched.stderr);
      const prints = watched.stdout.split('\n\n');
      assert.ok(prints.length >= 2, `printed again on change:\n${watched.stdout}`);
      assert.match(prints.at(-1)!, new RegExp(`^${endpoint}: ${MODEL} v3 promoted`));
      assert.equal((await handle.describe()).status.name, 'COMPLETED');
    });
  });

  it('stops waiting at Ctrl-C, leaving the rollout running, and says how to follow it again', async () => {
    await withWorkers(async () => {
      failing.clear();
      // v2 rolled back above: it may roll out again
      const child = startCli(canary('2', '--bake', '60s'), env);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      for (const deadline = Date.now() + 60_000; !/step 1\/2 at 50%/.test(stderr);) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `never baked:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const interruptedAt = Date.now();
      child.kill('SIGINT');
      assert.equal(await closed, 130, stderr);
      assert.ok(Date.now() - interruptedAt < 10_000, 'ended at once');
      assert.match(
        stderr,
        new RegExp(
          `stopped waiting; ${rolloutId} goes on\\. Follow it again with: mlops rollout status ${endpoint} --watch`,
        ),
      );
      const handle = testStack().env.client.workflow.getHandle(rolloutId);
      assert.equal((await handle.describe()).status.name, 'RUNNING');
      const aborted = await cli('rollout', 'abort', endpoint, '--reason', 'end of the test');
      assert.equal(aborted.code, 0, aborted.stderr);
      await handle.result();
    });
  });
});
