/**
 * Online A/B tests end to end: two real model-server variants behind the real gateway, the `abTest`
 * workflow on the shared dev server driven through the CLI, and synthetic users whose conversion
 * rate depends on the variant that served them (a known effect), labelled through the gateway's
 * feedback API.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ActivityDeps } from '../../activities';
import { ModelRegistry } from '../../activities/registry';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { seededRandom } from '../../common/random';
import { registerApprovedVersions, trainChurnModel, type TrainedChurnModel } from '../support/churn-model';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTestServing, type TestServing } from '../support/serving';
import { testDeps, testS3Store, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';
import { keyFolder, makeKey } from '../support/ssh-keys';
import { APPROVERS_FILE_KEY } from '../../common/schemas/approvers';

const MODEL = 'churn-ab';
const ENDPOINT = 'ab';
/** The synthetic users' conversion rate per variant: v2 converts better. */
const CONVERSION: Record<string, number> = { [`${MODEL}-v1`]: 0.2, [`${MODEL}-v2`]: 0.5, [`${MODEL}-v3`]: 0.2 };

describe('A/B tests, end to end with the model server behind the gateway', function () {
  this.timeout(240_000);
  const prefix = `e2e-abtest-${randomUUID().slice(0, 8)}`;
  let store: BlobStore;
  let serving: TestServing;
  let deps: ActivityDeps;
  let env: NodeJS.ProcessEnv;
  let trained: TrainedChurnModel;
  let traffic: { stop: () => Promise<Record<string, number>> } | undefined;
  const teardown = suiteTeardown();

  const cli = (...args: string[]) => runCli(args, env, 200_000);
  const json = async (...args: string[]) => {
    const r = await cli('--json', ...args);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  // the workflows, and the serving host's activities on their own queue
  const withWorkers = <T>(fn: () => Promise<T>) =>
    withWorker(env.MLOPS_TASK_QUEUE!, deps, () =>
      withWorker(env.MLOPS_SERVING_TASK_QUEUE!, deps, fn, { workflows: false }),
    );

  /** One request at a time through the gateway, each labelled converted or not by the variant's rate. */
  const startTraffic = () => {
    let running = true;
    const served: Record<string, number> = {};
    const random = seededRandom(7);
    const body = JSON.stringify(toInferenceRequest(trained.rows.slice(0, 1)));
    const gateway = serving.gateway.url;
    let feedbackToken: string | undefined;
    const loop = (async () => {
      while (running) {
        const res = await fetch(`${gateway}/v2/models/${ENDPOINT}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).catch(() => undefined);
        await res?.arrayBuffer();
        const variant = res?.headers.get('x-mlops-variant');
        const requestId = res?.headers.get('x-request-id');
        if (res?.ok && variant && requestId && CONVERSION[variant] !== undefined) {
          served[variant] = (served[variant] ?? 0) + 1;
          const label = random() < CONVERSION[variant]! ? 1 : 0;
          // the endpoint's feedback token, as a client that labels its requests is given it
          feedbackToken ??= await serving.admin.feedbackToken(ENDPOINT);
          await fetch(`${gateway}/v2/models/${ENDPOINT}/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${feedbackToken}` },
            body: JSON.stringify({ requestId, label }),
          }).then(
            (r) => r.arrayBuffer(),
            () => undefined,
          );
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return served;
      },
    };
  };

  before(async function () {
    store = testS3Store(prefix);
    const home = fs.mkdtempSync(path.join(testStack().tmpDir, 'abtest-home-'));
    serving = await teardown.start(
      'the gateway',
      () => startTestServing(store, home),
      (s) => s.stop(),
    );
    teardown.add('the traffic', () => traffic?.stop());
    deps = { ...testDeps(store), servingBackend: serving.backend() };
    env = cliEnv(prefix, { ...serving.env, MLOPS_HOME: home });
    trained = await trainChurnModel(store, `${prefix}-model`, fs.mkdtempSync(path.join(testStack().tmpDir, 'ab-')));
    await registerApprovedVersions(store, MODEL, trained, 3, 'for the A/B test');
  });

  it('finds the variant that converts better, stops early, and promotes it through a rollout', async () => {
    await withWorkers(async () => {
      const first = await json('deploy', MODEL, '1', '--endpoint', ENDPOINT, '--wait');
      assert.equal(first.code, 0, first.stderr);
      // captures reach the store within a second (the default batches wait up to 10 s)
      const current = (await serving.admin.getEndpoint(ENDPOINT))!;
      await serving.admin.putEndpoint(ENDPOINT, {
        variants: current.variants,
        weights: current.weights,
        capture: { sampleRate: 1, maxBatch: 200, flushSeconds: 1 },
      });
      traffic = startTraffic();

      const started = await json(
        'abtest',
        'start',
        '--endpoint',
        ENDPOINT,
        '--control',
        `${MODEL}:champion`,
        '--treatment',
        `${MODEL}:2`,
        '--metric',
        'conversion',
        '--samples-per-arm',
        '5000',
        '--min-trials-per-arm',
        '50',
        '--analysis-interval',
        '2s',
        '--promote',
        'all-at-once',
        '--promote-bake',
        '0s',
        '--termination-wait',
        '1s',
        '--no-wait',
      );
      assert.equal(started.code, 0, started.stderr);
      const workflowId = started.body.workflowId as string;
      assert.match(workflowId, /^abtest\/ab\//);

      // while it runs, the endpoint refuses a rollout
      const deadline = Date.now() + 90_000;
      for (;;) {
        const status = await json('abtest', 'status', workflowId);
        if (status.body?.phase === 'running') break;
        assert.ok(Date.now() < deadline, `never ran: ${status.stdout}${status.stderr}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const refused = await cli('deploy', MODEL, '3', '--endpoint', ENDPOINT);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /ab is busy: the A\/B test abtest\/ab\/.* is running/);

      const result = await testStack().env.client.workflow.getHandle(workflowId).result();
      const served = await traffic.stop();
      traffic = undefined;
      assert.equal(result.winner, 'treatment', result.decision?.reason);
      assert.equal(result.outcome, 'decided');
      assert.ok(result.treatment.trials < 5000, 'the sequential test stopped before the horizon');
      assert.ok(result.control.trials >= 50 && result.treatment.trials >= 50);
      assert.ok(served[`${MODEL}-v1`]! > 0 && served[`${MODEL}-v2`]! > 0, JSON.stringify(served));
      const rate = (a: { successes: number; trials: number }) => a.successes / a.trials;
      assert.ok(rate(result.treatment) > rate(result.control));
      assert.ok(result.decision.lift > 0);
      assert.ok(result.decision.confidenceInterval[0] > 0, 'the interval excludes no difference');
      assert.ok(result.decision.pValue <= 0.05);
      assert.equal(result.rollout?.outcome, 'promoted');

      const registry = new ModelRegistry(store);
      assert.equal((await registry.describeVersion(MODEL, 'champion')).version.version, 2);
      const shown = await json('endpoints', 'show', ENDPOINT);
      assert.deepEqual(
        (shown.body.variants as { version: number; weight: number }[]).map((v) => [v.version, v.weight]),
        [[2, 100]],
      );
      const status = await json('abtest', 'status', ENDPOINT);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(status.body.winner, 'treatment');
      const text = await cli('abtest', 'status', ENDPOINT);
      assert.match(text.stdout, /decided, winner treatment/);
      assert.match(text.stdout, /The treatment wins after \d+ looks?/);
      await recordHistory('abtest-decided-promoted', workflowId);
    });
  });

  it('stops on request: traffic back as before, the treatment undeployed, no winner', async () => {
    await withWorkers(async () => {
      const started = await json(
        'abtest',
        'start',
        '--endpoint',
        ENDPOINT,
        '--control',
        `${MODEL}:2`,
        '--treatment',
        `${MODEL}:3`,
        '--method',
        'fixed-horizon',
        '--duration',
        '1h',
        '--split',
        '20',
        '--no-wait',
      );
      assert.equal(started.code, 0, started.stderr);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const status = await json('abtest', 'status', ENDPOINT);
        if (status.body?.phase === 'running') break;
        assert.ok(Date.now() < deadline, `never ran: ${status.stdout}${status.stderr}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const split = await json('endpoints', 'show', ENDPOINT);
      assert.deepEqual(
        (split.body.variants as { version: number; weight: number }[]).map((v) => [v.version, v.weight]),
        [
          [2, 80],
          [3, 20],
        ],
      );
      const noReason = await cli('abtest', 'stop', ENDPOINT);
      assert.notEqual(noReason.code, 0);
      assert.match(noReason.stderr, /--reason/);
      // the registry requires signed decisions: an unsigned stop and an impostor's are refused, carol's signed one stops it
      const keys = keyFolder();
      const carol = makeKey(keys, 'carol');
      const mallory = makeKey(keys, 'mallory');
      await store.put(
        APPROVERS_FILE_KEY,
        JSON.stringify({ approvers: [{ name: 'carol', key: carol.publicKey }], requireSigned: true }),
      );
      teardown.add('the approvers file', () => store.delete(APPROVERS_FILE_KEY));
      const stopAs = (...flags: string[]) =>
        cli('abtest', 'stop', ENDPOINT, '--reason', 'wrong segment', '--actor', 'carol', ...flags);
      const unsigned = await stopAs('--no-sign');
      assert.equal(unsigned.code, 1, unsigned.stderr);
      assert.match(unsigned.stderr, /not signed/);
      const impostor = await stopAs('--key', mallory.file);
      assert.equal(impostor.code, 1, impostor.stderr);
      assert.match(impostor.stderr, /not listed for carol/);
      assert.equal((await json('abtest', 'status', ENDPOINT)).body.phase, 'running', 'the test goes on');
      const stopped = await json(
        'abtest',
        'stop',
        ENDPOINT,
        '--reason',
        'wrong segment',
        '--as',
        'carol',
        '--key',
        carol.file,
      );
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.body.outcome, 'stopped');
      assert.equal(stopped.body.winner, 'none');
      assert.deepEqual(stopped.body.stoppedBy, {
        actor: 'carol',
        reason: 'wrong segment',
        signedBy: carol.fingerprint,
      });
      const shown = await json('endpoints', 'show', ENDPOINT);
      assert.deepEqual(
        (shown.body.variants as { version: number; weight: number }[]).map((v) => [v.version, v.weight]),
        [[2, 100]],
      );
      await recordHistory('abtest-stopped', started.body.workflowId as string);
      const again = await cli('abtest', 'stop', ENDPOINT, '--reason', 'twice');
      assert.equal(again.code, 1);
    });
  });

  it('refuses bad settings naming the flag, changing nothing', async () => {
    const noHorizon = await cli(
      'abtest',
      'start',
      '--endpoint',
      ENDPOINT,
      '--control',
      `${MODEL}:2`,
      '--treatment',
      `${MODEL}:3`,
    );
    assert.equal(noHorizon.code, 2);
    assert.match(noHorizon.stderr, /--duration or --samples-per-arm: give the horizon of the test/);
    const badRef = await cli(
      'abtest',
      'start',
      '--endpoint',
      ENDPOINT,
      '--control',
      'churn-ab',
      '--treatment',
      `${MODEL}:3`,
      '--duration',
      '1h',
    );
    assert.equal(badRef.code, 2);
    assert.match(badRef.stderr, /--control: expected <model>:<version or alias>/);
    const same = await cli(
      'abtest',
      'start',
      '--endpoint',
      ENDPOINT,
      '--control',
      `${MODEL}:2`,
      '--treatment',
      `${MODEL}:champion`,
      '--duration',
      '1h',
    );
    assert.equal(same.code, 2);
    assert.match(same.stderr, /--treatment: the same version as --control/);
    const split = await cli(
      'abtest',
      'start',
      '--endpoint',
      ENDPOINT,
      '--control',
      `${MODEL}:2`,
      '--treatment',
      `${MODEL}:3`,
      '--duration',
      '1h',
      '--split',
      'half',
    );
    assert.equal(split.code, 2);
    assert.match(split.stderr, /--split: expected a number, got half/);
  });
});
