/** Aliases, statuses, the audit trail and model cards of `ModelRegistry`, on the filesystem store and on MinIO. */
import assert from 'node:assert/strict';
import { ModelRegistry } from '../../activities/registry';
import { InvalidTransitionError } from '../../common/failures';
import { modelKeys } from '../../activities/registry/keys';
import type { BlobStore } from '../../activities/storage/types';
import { HOLDOUT_SNAPSHOT, registration, runIds, TRAINING_SNAPSHOT } from './fixtures';
import { storeBackends } from './stores';

const who = (actor: string, reason = 'test') => ({ actor, reason });

for (const backend of storeBackends()) {
  describe(`model registry aliases and statuses (${backend.name})`, function () {
    let store: BlobStore;
    let registry: ModelRegistry;

    beforeEach(async function () {
      store = await backend.make();
      registry = new ModelRegistry(store);
    });
    after(() => backend.cleanup());

    async function registerVersions(n: number): Promise<void> {
      for (const run of runIds(n)) await registry.registerModel(registration(run));
    }

    it('applies concurrent alias moves one after another, losing none and auditing each', async function () {
      await registerVersions(6);
      // Six workers move `champion` at once, none with an expected version: all six apply, in some order.
      const results = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((v) => new ModelRegistry(store).setAlias('churn', 'champion', v, who(`worker-${v}`))),
      );
      assert.ok(results.every((r) => r.changed));
      const moves = (await registry.listAudit('churn')).filter((e) => e.action === 'alias');
      assert.equal(moves.length, 6);
      assert.equal(moves[0]?.from, null);
      for (let i = 1; i < moves.length; i++)
        assert.equal(moves[i]?.from, moves[i - 1]?.to, `move ${i} starts where ${i - 1} ended`);
      assert.equal((await registry.getState('churn')).aliases.champion, moves[5]?.to);
      assert.deepEqual(new Set(moves.map((m) => m.actor)), new Set([1, 2, 3, 4, 5, 6].map((v) => `worker-${v}`)));
    });

    it('moves two aliases at once without losing either', async function () {
      await registerVersions(2);
      await Promise.all([
        new ModelRegistry(store).setAlias('churn', 'champion', 1, who('alice', 'baseline')),
        new ModelRegistry(store).setAlias('churn', 'challenger', 2, who('bob', 'canary')),
      ]);
      assert.deepEqual((await registry.getState('churn')).aliases, { champion: 1, challenger: 2 });
      const moves = (await registry.listAudit('churn')).filter((e) => e.action === 'alias');
      assert.deepEqual(moves.map((m) => [m.alias, m.actor, m.reason]).sort(), [
        ['challenger', 'bob', 'canary'],
        ['champion', 'alice', 'baseline'],
      ]);
    });

    it('changes nothing when the expected version no longer holds, or the alias already points there', async function () {
      await registerVersions(3);
      await registry.setAlias('churn', 'champion', 1, who('alice'));
      const before = { state: await registry.getState('churn'), audit: (await registry.listAudit('churn')).length };

      const stale = await registry.setAlias('churn', 'champion', 2, { expectedVersion: 3, ...who('bob') });
      assert.deepEqual(stale, { changed: false, alias: 'champion', current: 1, reason: 'expected-version-mismatch' });
      const unsetOnly = await registry.setAlias('churn', 'champion', 2, { expectedVersion: null, ...who('bob') });
      assert.equal(unsetOnly.changed, false);
      const same = await registry.setAlias('churn', 'champion', 1, who('carol'));
      assert.deepEqual(same, { changed: false, alias: 'champion', current: 1, reason: 'unchanged' });

      assert.deepEqual(await registry.getState('churn'), before.state);
      assert.equal((await registry.listAudit('churn')).length, before.audit);
      const moved = await registry.setAlias('churn', 'champion', 2, {
        expectedVersion: 1,
        ...who('bob', 'better AUC'),
      });
      assert.deepEqual(moved, { changed: true, alias: 'champion', version: 2, previous: 1 });
      assert.deepEqual(await registry.removeAlias('churn', 'champion', who('bob', 'retired')), {
        changed: true,
        alias: 'champion',
        previous: 2,
      });
      assert.equal((await registry.getState('churn')).aliases.champion, undefined);
    });

    it('keeps an audit entry whose write was interrupted, and writes it with the next change', async function () {
      await registerVersions(2);
      await registry.setAlias('churn', 'champion', 1, who('alice', 'first'));
      const [move] = (await registry.listAudit('churn')).filter((e) => e.action === 'alias');
      assert.ok(move);
      // As if the worker died between swapping the state and writing the entry.
      const key = modelKeys.audit('churn', move.at, move.id);
      await store.delete(key);
      assert.deepEqual(
        (await registry.listAudit('churn')).filter((e) => e.action === 'alias'),
        [move],
      );
      await registry.setAlias('churn', 'champion', 2, who('bob', 'second'));
      assert.ok(await store.head(key), 'the next change wrote the pending entry');
      assert.deepEqual(
        (await registry.listAudit('churn')).filter((e) => e.action === 'alias').map((e) => [e.from, e.to]),
        [
          [null, 1],
          [1, 2],
        ],
      );
    });

    it('refuses status transitions the state machine does not allow, naming from and to', async function () {
      await registerVersions(2);
      await assert.rejects(
        registry.setStatus('churn', 1, 'production', who('alice')),
        (error: unknown) =>
          error instanceof InvalidTransitionError &&
          error.from === 'candidate' &&
          error.to === 'production' &&
          /cannot go from candidate to production: from candidate a version may only become approved or rejected or archived/.test(
            error.message,
          ),
      );
      for (const status of ['approved', 'production', 'rolled-back', 'production', 'archived'] as const)
        assert.equal((await registry.setStatus('churn', 1, status, who('alice'))).changed, true, status);
      await assert.rejects(registry.setStatus('churn', 1, 'candidate', who('alice')), /archived is final/);
      await assert.rejects(
        registry.setAlias('churn', 'champion', 1, who('alice')),
        /cannot point alias champion at it: it is archived/,
      );

      await registry.setAlias('churn', 'champion', 2, who('alice'));
      await assert.rejects(registry.setStatus('churn', 2, 'rejected', who('bob')), /while alias champion points at it/);
      await assert.rejects(
        registry.setStatus('churn', 2, 'approved', { actor: 'bob', reason: '' }),
        /^InvalidArgumentError: reason: required/,
      );
      const stale = await registry.setStatus('churn', 2, 'approved', { expectedStatus: 'rejected', ...who('bob') });
      assert.deepEqual(stale, { changed: false, version: 2, current: 'candidate', reason: 'expected-status-mismatch' });
      const statuses = (await registry.listAudit('churn', { version: 1 })).filter((e) => e.action === 'status');
      assert.deepEqual(
        statuses.map((e) => `${String(e.from)}→${String(e.to)}`),
        [
          'candidate→approved',
          'approved→production',
          'production→rolled-back',
          'rolled-back→production',
          'production→archived',
        ],
      );
    });

    it('writes a model card with lineage, metrics and the audit trail, and refreshes it on change', async function () {
      const { version } = await registry.registerModel(registration('retrain/churn/2026-11-27T05:42:28.992Z'));
      const stored = async () => (await store.getBytes(modelKeys.card('churn', version))).toString();
      const card = await stored();
      for (const expected of [
        '# churn — version 1',
        TRAINING_SNAPSHOT,
        HOLDOUT_SNAPSHOT,
        'git:4f2c1e9',
        'retrain/churn/2026-11-27T05:42:28.992Z',
        's3://models/retrain/churn/2026-11-27T05:42:28.992Z/model.joblib',
        '| auc | 0.84 |',
        '| f1 | 0.71 |',
        '| max_depth | `6` |',
        '**Status:** candidate',
      ])
        assert.ok(card.includes(expected), `card lacks ${expected}:\n${card}`);

      await registry.setStatus('churn', version, 'approved', who('alice', 'holdout AUC above the gate'));
      await registry.setAlias('churn', 'champion', version, who('alice', 'first approved model'));
      const refreshed = await stored();
      assert.match(refreshed, /\*\*Status:\*\* approved/);
      assert.match(refreshed, /\*\*Aliases:\*\* `champion`/);
      assert.match(refreshed, /\| alice \| alias `champion`: — → 1 \| first approved model \|/);
      assert.equal(await registry.modelCard('churn', version), refreshed);
    });

    it('describes a version named by an alias with its status, aliases and audit trail', async function () {
      await registerVersions(2);
      await registry.setStatus('churn', 2, 'approved', who('alice', 'reviewed'));
      await registry.setAlias('churn', 'champion', 2, who('alice', 'promote'));
      const details = await registry.describeVersion('churn', 'champion');
      assert.equal(details.version.version, 2);
      assert.equal(details.status, 'approved');
      assert.deepEqual(details.aliases, ['champion']);
      assert.deepEqual(
        details.audit.map((e) => e.action),
        ['register', 'status', 'alias'],
      );
      assert.ok(details.audit.every((e) => e.version === 2));
      assert.equal(details.modelCardKey, 'models/churn/versions/2/model-card.md');
    });
  });
}
