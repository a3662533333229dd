/** findChampion: the version an alias points at, or null when there is none yet (never a failure). */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createRegistryActivities, type RegistryActivities } from '../../activities/registry';
import { testS3Store } from '../support/worker';
import { activityEnv } from './activity-env';
import { registration } from './fixtures';

describe('findChampion activity', function () {
  let acts: RegistryActivities;
  const env = activityEnv();

  beforeEach(function () {
    acts = createRegistryActivities({ store: testS3Store() });
  });

  it('returns null for a model with no versions', async function () {
    assert.equal(await env.run(acts.findChampion, { model: 'churn' }), null);
  });

  it('returns null while the alias is unset, then the version it points at with status and aliases', async function () {
    await env.run(acts.registerModel, registration('retrain/churn/1'));
    await env.run(acts.registerModel, registration('retrain/churn/2', { metrics: { auc: 0.9 } }));
    assert.equal(await env.run(acts.findChampion, { model: 'churn' }), null);
    await env.run(acts.setModelAlias, { model: 'churn', alias: 'champion', version: 2, actor: 'ci', reason: 'best' });
    const champion = await env.run(acts.findChampion, { model: 'churn' });
    assert.equal(champion?.version, 2);
    assert.deepEqual(champion?.metrics, { auc: 0.9 });
    assert.equal(champion?.status, 'candidate');
    assert.deepEqual(champion?.aliases, ['champion']);
    assert.equal(champion?.artifactUri, 's3://models/retrain/churn/2/model.joblib');
  });

  it('finds another alias when asked, and refuses a malformed one', async function () {
    await env.run(acts.registerModel, registration('retrain/churn/1'));
    await env.run(acts.setModelAlias, {
      model: 'churn',
      alias: 'challenger',
      version: 1,
      actor: 'ci',
      reason: 'canary',
    });
    assert.equal((await env.run(acts.findChampion, { model: 'churn', alias: 'challenger' }))?.version, 1);
    assert.equal(await env.run(acts.findChampion, { model: 'churn' }), null);
    await assert.rejects(env.run(acts.findChampion, { model: 'churn', alias: 'Bad Alias!' }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'InvalidName');
      assert.equal(error.nonRetryable, true);
      return true;
    });
  });
});
