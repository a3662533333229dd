/**
 * The layers of docs/architecture.md: ESLint's per-layer rules say which folder may import which
 * (eslint.config.mjs); this test adds what ESLint's `import/no-cycle` does not see, cycles made of
 * type imports, which still tie two modules together for a reader and for the bundler's graph.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import madge from 'madge';
import { REPO_ROOT } from '../../lib/tools';

const PRODUCTION = [
  'workflows',
  'activities',
  'common',
  'lib',
  'worker',
  'client',
  'gateway',
  'codec-server',
  'examples',
];

describe('the module graph', () => {
  it('has no import cycle, type imports included', async function () {
    this.timeout(60_000);
    const graph = await madge(
      PRODUCTION.map((dir) => path.join(REPO_ROOT, dir)),
      {
        baseDir: REPO_ROOT,
        fileExtensions: ['ts'],
        tsConfig: path.join(REPO_ROOT, 'tsconfig.json'),
        detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
      },
    );
    const files = Object.keys(graph.obj());
    assert.ok(
      files.includes('common/schemas/spec.ts') && files.includes('workflows/retrain-pipeline.ts'),
      'the graph holds the sources',
    );
    assert.deepEqual(graph.circular(), []);
  });
});
