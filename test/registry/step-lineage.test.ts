/** Outputs of a pipeline's own steps in a version's lineage: version.json, the model card, `models show`. */
import assert from 'node:assert/strict';
import { ModelRegistry } from '../../activities/registry';
import { modelKeys } from '../../activities/registry/keys';
import type { BlobStore } from '../../activities/storage/types';
import { renderVersion } from '../../client/render/models';
import { InvalidArgumentError, InvalidNameError } from '../../common/failures';
import { registration } from './fixtures';
import { storeBackends } from './stores';

const EXTRACT = 'c3'.repeat(32);
const FEATURES = 'd4'.repeat(32);
const steps = [
  { step: 'extract', dataset: 'forecast-extract', id: EXTRACT },
  { step: 'features', dataset: 'forecast-features', id: FEATURES },
];

for (const backend of storeBackends()) {
  describe(`step outputs in a version's lineage (${backend.name})`, function () {
    let store: BlobStore;
    let registry: ModelRegistry;

    beforeEach(async function () {
      store = await backend.make();
      registry = new ModelRegistry(store);
    });
    after(() => backend.cleanup());

    it('records the steps in version.json, lists them on the model card and in models show, and keeps them on retry', async function () {
      const run = 'retrain/forecast/2026-12-01T00:00:00.000Z';
      const input = registration(run, { model: 'forecast', steps: steps.map((s) => ({ ...s, note: 'dropped' })) });
      const { version } = await registry.registerModel(input);
      const stored = JSON.parse((await store.getBytes(modelKeys.version('forecast', version))).toString('utf8'));
      assert.deepEqual(stored.steps, steps, 'only step, dataset and id are kept, in the order given');
      assert.deepEqual((await registry.getVersion('forecast', version)).steps, steps);
      assert.deepEqual(await registry.registerModel(input), { model: 'forecast', version, created: false });

      const card = await registry.modelCard('forecast', version);
      assert.match(card, /\| Step `extract` output \| forecast-extract @ `c3c3c3[0-9a-f]*` \|/);
      assert.match(card, /\| Step `features` output \| forecast-features @ `d4d4d4[0-9a-f]*` \|/);

      const details = await registry.describeVersion('forecast', version);
      const text = renderVersion(details);
      const lineage = text.slice(text.indexOf('lineage'), text.indexOf('metrics'));
      assert.match(lineage, /step extract\s+forecast-extract@c3c3c3c3c3c3\n/);
      assert.match(lineage, /step features\s+forecast-features@d4d4d4d4d4d4/);
      assert.deepEqual(JSON.parse(JSON.stringify(details)).version.steps, steps, 'what --json prints');
    });

    it('records no steps for a version registered without them', async function () {
      const { version } = await registry.registerModel(registration('retrain/churn/plain'));
      const stored = JSON.parse((await store.getBytes(modelKeys.version('churn', version))).toString('utf8'));
      assert.equal('steps' in stored, false);
      assert.doesNotMatch(renderVersion(await registry.describeVersion('churn', version)), /step /);
    });

    it('refuses malformed steps naming the field, and registers nothing', async function () {
      const cases: [unknown, RegExp, new (...args: never[]) => Error][] = [
        [{ step: 'features' }, /^steps: must be a list/, InvalidArgumentError],
        [[steps[0], 'features'], /^steps\[1\]: must be an object/, InvalidArgumentError],
        [
          [{ ...steps[0], step: 'Feature Eng' }],
          /^steps\[0\]\.step: "Feature Eng" is not a valid name/,
          InvalidNameError,
        ],
        [[steps[0], { ...steps[1], dataset: '../x' }], /^steps\[1\]\.dataset: /, InvalidNameError],
        [
          [steps[0], { ...steps[1], id: 'd4d4' }],
          /^steps\[1\]\.id: must be a snapshot id \(64 hex digits\)/,
          InvalidArgumentError,
        ],
        [[{ ...steps[0], id: 'C3'.repeat(32) }], /^steps\[0\]\.id: /, InvalidArgumentError],
      ];
      for (const [bad, message, type] of cases) {
        const input = registration('retrain/forecast/bad', { model: 'forecast', steps: bad as never });
        await assert.rejects(
          registry.registerModel(input),
          (error: unknown) => error instanceof type && message.test((error as Error).message),
          JSON.stringify(bad),
        );
      }
      assert.deepEqual(await registry.listModels(), []);
    });
  });
}
