/**
 * Progressive rollouts end to end: real model-server variants behind the real gateway, a real churn
 * model, the `progressiveRollout` workflow on the shared dev server, driven through the CLI while
 * this test sends live traffic through the gateway.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import fs from 'node:fs';
import path from 'node:path';
import type { ActivityDeps } from '../../activities';
import { ModelRegistry } from '../../activities/registry';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { registerApprovedVersions, trainChurnModel, type TrainedChurnModel } from '../support/churn-model';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic, type Traffic } from '../support/traffic';
import { startTestServing, type TestServing } from '../support/serving';
import { testDeps, testS3Store, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';
import { withFakeWebhook } from '../support/fake-webhook';

const MODEL = 'churn-ro';
const ENDPOINT = 'ro';
/** The analysis interval of the rollouts that roll back (`--analysis-interval 2s`). */
const INTERVAL_MS = 2000;

interface Analysis {
  at: string;
  verdict: string;
}

/**
 * Asserts the fault was caught within two analysis intervals: the two failures that decided came
 * after the fault, and at most two analyses judged a window that began after it (an analysis is
 * recorded at its window's end; one window may mix traffic from before and after the fault).
 */
function assertCaughtWithinTwoIntervals(analyses: Analysis[], faultAt: number): void {
  const shown = JSON.stringify(analyses.map((a) => [Date.parse(a.at) - faultAt, a.verdict]));
  const fullyAfter = analyses.filter((a) => Date.parse(a.at) - INTERVAL_MS >= faultAt);
  assert.ok(fullyAfter.length <= 2, `${fullyAfter.length} analyses after the fault: ${shown}`);
  const deciding = analyses.slice(-2);
  assert.deepEqual(
    deciding.map((a) => a.verdict),
    ['fail', 'fail'],
    shown,
  );
  assert.ok(
    deciding.every((a) => Date.parse(a.at) > faultAt),
    `the deciding failures came after the fault: ${shown}`,
  );
}

describe('progressive rollout, end to end with the model server behind the gateway', function () {
  this.timeout(240_000);
  const prefix = `e2e-rollout-${randomUUID().slice(0, 8)}`;
  let store: BlobStore;
  let serving: TestServing;
  let deps: ActivityDeps;
  let env: NodeJS.ProcessEnv;
  let trained: TrainedChurnModel;
  let traffic: Traffic | undefined;
  const teardown = suiteTeardown();

  const cli = (...args: string[]) => runCli(args, env, 200_000);
  const json = async (...args: string[]) => {
    const r = await cli('--json', ...args);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  const withWorkers = <T>(fn: () => Promise<T>) =>
    withWorker(env.MLOPS_TASK_QUEUE!, deps, () =>
      withWorker(
        env.MLOPS_TRAINING_TASK_QUEUE!,
        deps,
        () => withWorker(env.MLOPS_SERVING_TASK_QUEUE!, deps, fn, { workflows: false }),
        { workflows: false },
      ),
    );

  /** Sends requests through the gateway (about 40/s) until stopped. */
  const sendTraffic = () => {
    const body = JSON.stringify(toInferenceRequest(trained.rows));
    return startTraffic(serving.gateway.url, ENDPOINT, () => body, 25);
  };

  before(async function () {
    store = testS3Store(prefix);
    const home = fs.mkdtempSync(path.join(testStack().tmpDir, 'rollout-home-'));
    serving = await teardown.start(
      'the gateway',
      () => startTestServing(store, home),
      (s) => s.stop(),
    );
    teardown.add('the traffic', () => traffic?.stop());
    deps = { ...testDeps(store), servingBackend: serving.backend() };
    env = cliEnv(prefix, { ...serving.env, MLOPS_HOME: home });
    trained = await trainChurnModel(store, `${prefix}-model`, fs.mkdtempSync(path.join(testStack().tmpDir, 'ro-')));
    await registerApprovedVersions(store, MODEL, trained, 4, 'for the rollout test');
  });

  it('deploys a first version at 100%, then canaries the next one to 100% and retires the old variant', async () => {
    await withWorkers(async () => {
      const first = await json('deploy', MODEL, '1', '--endpoint', ENDPOINT, '--wait');
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.body.outcome, 'promoted');
      assert.deepEqual(first.body.weights, { [`${MODEL}-v1`]: 100 });

      const shown = await json('endpoints', 'show', ENDPOINT);
      assert.equal(shown.code, 0, shown.stderr);
      const variants = shown.body.variants as { name: string; version: number; weight: number }[];
      assert.deepEqual(
        variants.map((v) => [v.version, v.weight]),
        [[1, 100]],
      );
      const data = path.join(testStack().tmpDir, `${prefix}-rows.json`);
      fs.writeFileSync(data, JSON.stringify(trained.rows));
      const predicted = await json('predict', ENDPOINT, '--data', data);
      assert.equal(predicted.code, 0, predicted.stderr);
      assert.match(predicted.stdout, /predict/);

      traffic = sendTraffic();
      const canary = await json(
        'deploy',
        MODEL,
        '2',
        '--endpoint',
        ENDPOINT,
        '--steps',
        '50,100',
        '--bake',
        '4s',
        '--analysis-interval',
        '2s',
        '--min-requests',
        '5',
        '--termination-wait',
        '1s',
        '--wait',
      );
      assert.equal(canary.code, 0, canary.stderr);
      assert.equal(canary.body.outcome, 'promoted');
      assert.ok(
        canary.body.analyses.some((a: { weight: number; verdict: string }) => a.weight === 50 && a.verdict === 'pass'),
      );

      const registry = new ModelRegistry(store);
      assert.equal((await registry.describeVersion(MODEL, 'champion')).version.version, 2);
      assert.equal((await registry.describeVersion(MODEL, 2)).status, 'production');
      assert.equal((await registry.describeVersion(MODEL, 1)).status, 'archived');
      const after = await json('endpoints', 'show', ENDPOINT);
      assert.deepEqual(
        (after.body.variants as { version: number; weight: number }[]).map((v) => [v.version, v.weight]),
        [[2, 100]],
        'the old variant is gone',
      );
      await recordHistory('rollout-canary-promoted', `rollout/${ENDPOINT}`);
    });
  });

  it('rolls a failing candidate back within two analysis intervals, notifies once, and refuses a second rollout meanwhile', async () => {
    await withFakeWebhook('MLOPS_WEBHOOK_E2E_ROLLOUT', prefix, (posts, url) => failingRollout(posts, url));
  });

  /** After a rollback: the candidate `rolled-back`, the baseline still champion, its variant alone serving 100%. */
  async function assertBackOnBaseline(candidate: number, baseline: number) {
    const registry = new ModelRegistry(store);
    assert.equal((await registry.describeVersion(MODEL, candidate)).status, 'rolled-back');
    assert.equal((await registry.describeVersion(MODEL, 'champion')).version.version, baseline);
    const shown = await json('endpoints', 'show', ENDPOINT);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(
      (shown.body.variants as { name: string; weight: number }[]).map((v) => [v.name, v.weight]),
      [[`${MODEL}-v${baseline}`, 100]],
      'the candidate is gone, the baseline serves everything',
    );
  }

  /** Canaries `version` at 50% (analysis every 2 s, a long bake) and waits until it bakes. */
  async function deployBaking(version: string, ...flags: string[]) {
    const started = await json(
      'deploy',
      MODEL,
      version,
      '--endpoint',
      ENDPOINT,
      '--steps',
      '50,100',
      '--bake',
      '60s',
      '--analysis-interval',
      '2s',
      '--min-requests',
      '5',
      '--no-wait',
      ...flags,
    );
    assert.equal(started.code, 0, started.stderr);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await json('rollout', 'status', ENDPOINT);
      if (status.body?.phase === 'baking') return;
      assert.ok(Date.now() < deadline, `never baked: ${status.stdout}${status.stderr}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function failingRollout(posts: { text: string }[], webhookUrl: string) {
    await withWorkers(async () => {
      traffic ??= sendTraffic();
      await deployBaking('3', '--notify', 'MLOPS_WEBHOOK_E2E_ROLLOUT');
      const second = await cli('deploy', MODEL, '2', '--endpoint', ENDPOINT);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /a rollout is already running on ro: rollout\/ro \(churn-ro v3/);

      const faultAt = Date.now();
      await serving.admin.setFault(ENDPOINT, `${MODEL}-v3`, { errorRate: 1 });
      const result = await testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`).result();
      assert.equal(result.outcome, 'rolled-back');
      assert.match(result.reason, /2 failed analyses in a row: error rate 100\.00% > 1\.00%/);
      assertCaughtWithinTwoIntervals(result.analyses as Analysis[], faultAt);
      // one rollback notice, naming the endpoint, the candidate and the reason; the URL in no history
      assert.equal(posts.length, 1, JSON.stringify(posts));
      assert.match(posts[0]!.text, /churn-ro v3 rolled back on ro/);
      assert.match(posts[0]!.text, /endpoint: ro/);
      assert.match(posts[0]!.text, /candidate: churn-ro v3 \(churn-ro-v3\)/);
      assert.match(posts[0]!.text, /2 failed analyses in a row: error rate 100\.00% > 1\.00%/);
      const history = historyToJSON(
        await testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`).fetchHistory(),
      );
      const payloads = [...history.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) =>
        Buffer.from(m[1]!, 'base64').toString('utf8'),
      );
      assert.ok(
        payloads.some((p) => p.includes('MLOPS_WEBHOOK_E2E_ROLLOUT')),
        'the variable is named',
      );
      for (const text of [history, ...payloads])
        assert.ok(!text.includes(webhookUrl), 'the webhook URL is in no history');
      assert.deepEqual(result.weights, { [`${MODEL}-v2`]: 100 });
      await assertBackOnBaseline(3, 2);
      const sent = await traffic.stop();
      traffic = undefined;
      assert.ok(sent > 50, `${sent} requests sent`);
      await recordHistory('rollout-rolled-back', `rollout/${ENDPOINT}`);
    });
  }

  it('pauses, resumes and promotes early on request, and aborts on request, each with actor and reason', async () => {
    await withWorkers(async () => {
      const waitForBaking = async () => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const status = await json('rollout', 'status', ENDPOINT);
          if (status.body?.phase === 'baking') return status.body;
          assert.ok(Date.now() < deadline, `never baked: ${status.stdout}${status.stderr}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      };
      const slow = [
        '--steps',
        '50,100',
        '--bake',
        '60s',
        '--analysis-interval',
        '2s',
        '--termination-wait',
        '1s',
        '--no-wait',
      ];
      // v3 was rolled back above: it may roll out again
      assert.equal((await cli('deploy', MODEL, '3', '--endpoint', ENDPOINT, ...slow)).code, 0);
      await waitForBaking();
      const noReason = await cli('rollout', 'pause', ENDPOINT);
      assert.notEqual(noReason.code, 0);
      assert.match(noReason.stderr, /--reason/);
      const paused = await json(
        'rollout',
        'pause',
        ENDPOINT,
        '--reason',
        'watching the dashboards',
        '--actor',
        'alice',
      );
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal((await json('rollout', 'status', ENDPOINT)).body.paused, true);
      assert.equal((await json('rollout', 'resume', ENDPOINT, '--reason', 'all fine', '--actor', 'alice')).code, 0);
      assert.equal((await json('rollout', 'status', ENDPOINT)).body.paused, false);
      const promoted = await json('rollout', 'promote', ENDPOINT, '--reason', 'looks good', '--actor', 'alice');
      assert.equal(promoted.code, 0, promoted.stderr);
      const done = await testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`).result();
      assert.equal(done.outcome, 'promoted');
      assert.match(done.reason, /promoted early by alice: looks good/);
      const registry = new ModelRegistry(store);
      assert.equal((await registry.describeVersion(MODEL, 'champion')).version.version, 3);
      await recordHistory('rollout-paused-promoted-early', `rollout/${ENDPOINT}`);

      assert.equal((await cli('deploy', MODEL, '4', '--endpoint', ENDPOINT, ...slow)).code, 0);
      await waitForBaking();
      const aborted = await json('rollout', 'abort', ENDPOINT, '--reason', 'rollback drill', '--actor', 'bob');
      assert.equal(aborted.code, 0, aborted.stderr);
      const rolled = await testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`).result();
      assert.equal(rolled.outcome, 'rolled-back');
      assert.match(rolled.reason, /bob: rollback drill/);
      await recordHistory('rollout-aborted', `rollout/${ENDPOINT}`);
      assert.deepEqual(rolled.weights, { [`${MODEL}-v3`]: 100 });
      await assertBackOnBaseline(4, 3);
      const late = await cli('rollout', 'abort', ENDPOINT, '--reason', 'again');
      assert.equal(late.code, 1);
      assert.match(late.stderr, /abort refused: the rollout is rolled-back|no running rollout/);
    });
  });
  it('rolls a slow candidate back on its p95 latency relative to the baseline within two analysis intervals', async () => {
    await withWorkers(async () => {
      // sequential senders wait for the slow variant: a few in parallel keep both sides above --min-requests
      const senders = [sendTraffic(), sendTraffic(), sendTraffic(), sendTraffic()];
      try {
        // v4 was aborted above: it may roll out again; v3 serves everything
        await deployBaking('4', '--max-latency-increase', '1');
        const faultAt = Date.now();
        await serving.admin.setFault(ENDPOINT, `${MODEL}-v4`, { latencyMs: 400 });
        const result = await testStack().env.client.workflow.getHandle(`rollout/${ENDPOINT}`).result();
        assert.equal(result.outcome, 'rolled-back');
        assert.match(
          result.reason,
          /2 failed analyses in a row: p95 \d+\.\d ms vs baseline \d+\.\d ms: more than \+100\.00%/,
        );
        assertCaughtWithinTwoIntervals(result.analyses as Analysis[], faultAt);
        assert.deepEqual(result.weights, { [`${MODEL}-v3`]: 100 });
        await assertBackOnBaseline(4, 3);
      } finally {
        await Promise.all(senders.map((t) => t.stop()));
      }
    });
  });
});
