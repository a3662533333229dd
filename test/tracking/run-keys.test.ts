/** Run ids (workflow ids) as store key segments. */
import assert from 'node:assert/strict';
import { runIdOf, runKeyOf } from '../../activities/tracking';
import { validateKey } from '../../activities/storage';

describe('run keys', function () {
  it('turns a workflow id into one readable key segment and back', function () {
    const run = 'retrain/churn/2026-11-27T05:42:28.992Z';
    assert.equal(runKeyOf(run), 'retrain~2Fchurn~2F2026-11-27T05~3A42~3A28.992Z');
    assert.equal(runIdOf(runKeyOf(run)), run);
  });

  it('round-trips ids with tildes, spaces, unicode, dots and a leading underscore', function () {
    for (const run of ['a~2Fb', 'sweep/trial 3', 'modèle/été', '.', '..', '_runs', 'x'.repeat(200)]) {
      const key = runKeyOf(run);
      assert.match(key, /^[A-Za-z0-9._~-]+$/);
      assert.notEqual(key, '.');
      assert.notEqual(key, '..');
      assert.ok(!key.startsWith('_'), key);
      validateKey(`experiments/p/${key}/run.json`);
      assert.equal(runIdOf(key), run);
    }
  });

  it('hashes ids too long for a file name, which then do not reverse', function () {
    const long = `retrain/${'x'.repeat(300)}`;
    const key = runKeyOf(long);
    assert.match(key, /^~h[0-9a-f]{40}$/);
    assert.equal(runIdOf(key), undefined);
    assert.notEqual(runKeyOf(`${long}y`), key);
  });
});
