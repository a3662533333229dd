/** Version allocation and idempotency of `ModelRegistry.registerModel`, on the filesystem store and on MinIO. */
import assert from 'node:assert/strict';
import { ModelRegistry } from '../../activities/registry';
import { ModelNotFoundError, InvalidNameError, InvalidArgumentError } from '../../common/failures';
import { modelKeys, registrationKeyOf } from '../../activities/registry/keys';
import type { BlobStore } from '../../activities/storage/types';
import { registration, runIds } from './fixtures';
import { storeBackends } from './stores';

for (const backend of storeBackends()) {
  describe(`model registry versions (${backend.name})`, function () {
    let store: BlobStore;
    let registry: ModelRegistry;

    beforeEach(async function () {
      store = await backend.make();
      registry = new ModelRegistry(store);
    });
    after(() => backend.cleanup());

    it('gives 20 concurrent registrations the versions 1 to 20, each exactly once', async function () {
      const runs = runIds(20);
      // One registry per call, as if 20 workers registered at once.
      const results = await Promise.all(runs.map((run) => new ModelRegistry(store).registerModel(registration(run))));
      assert.deepEqual(
        results.map((r) => r.version).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.ok(results.every((r) => r.created && r.model === 'churn'));
      const versions = await registry.listVersions('churn');
      assert.deepEqual(
        versions.map((v) => [v.version, v.pipelineRun, v.status]),
        results.map((r, i) => [r.version, runs[i], 'candidate']).sort((a, b) => Number(a[0]) - Number(b[0])),
      );
      const state = await registry.getState('churn');
      assert.equal(state.latestVersion, 20);
      const registered = (await registry.listAudit('churn')).filter((e) => e.action === 'register');
      assert.deepEqual(
        registered.map((e) => e.version).sort((a, b) => Number(a) - Number(b)),
        [...Array(20).keys()].map((i) => i + 1),
      );
    });

    it('returns the version it registered before when a registration is retried with the same pipeline run', async function () {
      const first = await registry.registerModel(registration('retrain/churn/a'));
      const other = await registry.registerModel(registration('retrain/churn/b'));
      const retried = await new ModelRegistry(store).registerModel(registration('retrain/churn/a'));
      assert.deepEqual(
        [first, other, retried].map((r) => [r.version, r.created]),
        [
          [1, true],
          [2, true],
          [1, false],
        ],
      );
      assert.equal((await registry.listVersions('churn')).length, 2);
      const byKey = await registry.registerModel(
        registration('retrain/churn/c', { idempotencyKey: 'retrain/churn/a' }),
      );
      assert.deepEqual([byKey.version, byKey.created], [1, false]);
    });

    it('registers one version when the same registration runs five times at once', async function () {
      await registry.registerModel(registration('retrain/churn/earlier'));
      const attempts = await Promise.all(
        Array.from({ length: 5 }, () => new ModelRegistry(store).registerModel(registration('retrain/churn/same'))),
      );
      assert.deepEqual(new Set(attempts.map((r) => r.version)), new Set([2]));
      assert.equal(attempts.filter((r) => r.created).length, 1);
      assert.equal((await registry.listVersions('churn')).length, 2);
    });

    it('keeps version records immutable through retries, alias moves and status changes', async function () {
      const { version } = await registry.registerModel(registration('retrain/churn/a'));
      const key = modelKeys.version('churn', version);
      const before = { etag: (await store.head(key))?.etag, body: (await store.getBytes(key)).toString() };
      await registry.registerModel(registration('retrain/churn/a', { metrics: { auc: 0.99 } }));
      await registry.setAlias('churn', 'champion', version, { actor: 'alice', reason: 'first model' });
      await registry.setStatus('churn', version, 'approved', { actor: 'alice', reason: 'reviewed' });
      assert.equal((await store.head(key))?.etag, before.etag);
      assert.equal((await store.getBytes(key)).toString(), before.body);
      assert.equal((await registry.getVersion('churn', version)).metrics.auc, 0.84);
    });

    it('neither overwrites nor skips a version record whose registration stopped before updating the state', async function () {
      const v1 = await registry.getVersion(
        'churn',
        (await registry.registerModel(registration('retrain/churn/a'))).version,
      );
      // What a worker that died right after writing the record leaves behind: version 2, unknown to state.json.
      const orphan = {
        ...v1,
        version: 2,
        pipelineRun: 'retrain/churn/crashed',
        registrationKey: registrationKeyOf('retrain/churn/crashed'),
        createdAt: new Date().toISOString(),
      };
      await store.putIfAbsent(modelKeys.version('churn', 2), JSON.stringify(orphan));
      const orphanEtag = (await store.head(modelKeys.version('churn', 2)))?.etag;
      assert.equal((await registry.getState('churn')).latestVersion, 2, 'readers see the record before it is folded');

      const next = await registry.registerModel(registration('retrain/churn/b'));
      assert.deepEqual([next.version, next.created], [3, true]);
      const retried = await registry.registerModel(registration('retrain/churn/crashed'));
      assert.deepEqual([retried.version, retried.created], [2, false]);
      assert.equal((await store.head(modelKeys.version('churn', 2)))?.etag, orphanEtag);
      assert.deepEqual(
        (await registry.listVersions('churn')).map((v) => [v.version, v.pipelineRun]),
        [
          [1, 'retrain/churn/a'],
          [2, 'retrain/churn/crashed'],
          [3, 'retrain/churn/b'],
        ],
      );
      const registered = (await registry.listAudit('churn')).filter((e) => e.action === 'register');
      assert.deepEqual(registered.map((e) => e.version).sort(), [1, 2, 3]);
    });

    it('lists models, and names the model, version or field a call gets wrong', async function () {
      await registry.registerModel(registration('retrain/churn/a'));
      await registry.registerModel(registration('retrain/fraud/a', { model: 'fraud' }));
      assert.deepEqual(await registry.listModels(), ['churn', 'fraud']);
      await assert.rejects(registry.getVersion('nope', 1), ModelNotFoundError);
      await assert.rejects(registry.getVersion('churn', 7), /model churn has no version 7/);
      await assert.rejects(registry.resolveVersion('churn', 'champion'), /model churn has no alias champion/);
      await assert.rejects(registry.registerModel(registration('r', { model: 'Churn Model' })), InvalidNameError);
      await assert.rejects(
        registry.registerModel(registration('r', { metrics: { auc: Number.NaN } })),
        (error: unknown) =>
          error instanceof InvalidArgumentError && /^metrics\.auc: must be a finite number/.test(error.message),
      );
      await assert.rejects(
        registry.registerModel(registration('r', { codeVersion: ' ' })),
        /^InvalidArgumentError: codeVersion: required/,
      );
      assert.deepEqual(await registry.listModels(), ['churn', 'fraud'], 'refused registrations leave nothing behind');
    });
  });
}
