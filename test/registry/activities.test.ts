/** The registry activities as a worker runs them (MockActivityEnvironment): results, and typed non-retryable failures. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createRegistryActivities, type RegistryActivities } from '../../activities/registry';
import { createBlobStore } from '../../activities/storage';
import { registration } from './fixtures';
import { activityEnv } from './activity-env';

/** Asserts that `promise` fails with a non-retryable ApplicationFailure of `type` whose message matches. */
async function failsWith(promise: Promise<unknown>, type: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, message);
    return true;
  });
}

describe('registry activities', function () {
  let root: string;
  let acts: RegistryActivities;
  const env = activityEnv({ activityId: 'register-1' });

  beforeEach(async function () {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-reg-acts-'));
    acts = createRegistryActivities({ store: createBlobStore({ kind: 'file', root, uri: `file://${root}` }) });
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('registers, promotes by alias name and describes a version, each with one object argument', async function () {
    const first = await env.run(acts.registerModel, registration('retrain/churn/1'));
    const retried = await env.run(acts.registerModel, registration('retrain/churn/1'));
    assert.deepEqual(
      [first, retried],
      [
        { model: 'churn', version: 1, created: true },
        { model: 'churn', version: 1, created: false },
      ],
    );
    await env.run(acts.registerModel, registration('retrain/churn/2'));
    await env.run(acts.setModelAlias, {
      model: 'churn',
      alias: 'challenger',
      version: 2,
      actor: 'ci',
      reason: 'canary',
    });
    const promoted = await env.run(acts.setModelAlias, {
      model: 'churn',
      alias: 'champion',
      version: 'challenger',
      expectedVersion: null,
      actor: 'rollout/churn-api',
      reason: 'canary passed',
    });
    assert.deepEqual(promoted, { changed: true, alias: 'champion', version: 2, previous: null });
    const status = await env.run(acts.setModelStatus, {
      model: 'churn',
      version: 2,
      status: 'approved',
      expectedStatus: 'candidate',
      actor: 'alice',
      reason: 'reviewed',
    });
    assert.equal(status.changed, true);
    const champion = await env.run(acts.getModelVersion, { model: 'churn', version: 'champion' });
    assert.deepEqual(
      [champion.version, champion.status, champion.aliases],
      [2, 'approved', ['challenger', 'champion']],
    );
    const details = await env.run(acts.describeModelVersion, { model: 'churn', version: 2 });
    assert.deepEqual(
      details.audit.map((e) => e.action),
      ['register', 'alias', 'alias', 'status'],
    );
  });

  it('fails non-retryably with a stable type when the caller is wrong', async function () {
    await env.run(acts.registerModel, registration('retrain/churn/1'));
    await failsWith(env.run(acts.getModelVersion, { model: 'fraud', version: 1 }), 'ModelNotFound', /model fraud/);
    await failsWith(env.run(acts.getModelVersion, { model: 'churn', version: 4 }), 'VersionNotFound', /no version 4/);
    await failsWith(
      env.run(acts.getModelVersion, { model: 'churn', version: 'champion' }),
      'AliasNotFound',
      /champion/,
    );
    await failsWith(
      env.run(acts.setModelStatus, { model: 'churn', version: 1, status: 'production', actor: 'a', reason: 'r' }),
      'InvalidTransition',
      /from candidate to production/,
    );
    await failsWith(
      env.run(acts.setModelAlias, { model: 'churn', alias: 'Champion!', version: 1, actor: 'a', reason: 'r' }),
      'InvalidName',
      /^alias: "Champion!" is not a valid name/,
    );
    await failsWith(
      env.run(acts.setModelAlias, { model: 'churn', alias: 'champion', version: 1, actor: '', reason: 'r' }),
      'InvalidArgument',
      /^actor: required/,
    );
  });
});
