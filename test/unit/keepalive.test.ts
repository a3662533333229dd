/** Keepalive heartbeats: activities that report nothing of their own still tell Temporal they are alive. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { isKeptAlive, withKeepalive } from '../../activities/keepalive';
import { silentLogger as quiet } from '../support/loggers';

const EVERY_MS = 300;

describe('activity keepalive heartbeats', function () {
  this.timeout(10_000);

  it('heartbeats every few seconds while a long activity runs, and not at all for a short one', async () => {
    const beats: number[] = [];
    const env = new MockActivityEnvironment({}, { logger: quiet });
    env.on('heartbeat', () => beats.push(Date.now()));
    const acts = withKeepalive(
      {
        slow: async (ms: number) => {
          await sleep(ms);
          return `slept ${ms}`;
        },
      },
      EVERY_MS,
    );
    assert.equal(await env.run(acts.slow, 50), 'slept 50');
    assert.equal(beats.length, 0, 'a short activity sends no heartbeat');
    const started = Date.now();
    assert.equal(await env.run(acts.slow, 2 * EVERY_MS + EVERY_MS / 2), `slept ${2 * EVERY_MS + EVERY_MS / 2}`);
    assert.equal(beats.length, 2);
    assert.ok(beats[0]! - started >= EVERY_MS - 50);
    await sleep(2 * EVERY_MS);
    assert.equal(beats.length, 2, 'no heartbeat after the activity returned');
  });

  it('keeps errors and names as they were, and works outside an activity', async () => {
    const acts = withKeepalive({
      failing: async () => {
        throw new Error('store down');
      },
    });
    assert.equal(acts.failing.name, 'failing');
    await assert.rejects(acts.failing(), /store down/);
  });

  it('wraps the registry and tracking activities, not those that heartbeat their own details', () => {
    const deps = { store: {}, cacheDir: '', openStore: () => ({}), trainingBackend: {} } as never;
    const acts = createActivities(deps);
    const wrapped = (name: keyof typeof acts) => isKeptAlive(acts[name]);
    for (const name of ['registerModel', 'setModelAlias', 'startRun', 'computeDriftWindow'] as const)
      assert.ok(wrapped(name), `${name} heartbeats while it runs`);
    for (const name of ['snapshotDataset', 'runTrainingJob', 'waitVariantReady'] as const)
      assert.ok(!wrapped(name), `${name} keeps its own heartbeat details`);
  });
});
