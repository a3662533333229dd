/**
 * `packageSpecCode` (client/code-packages.ts) on a filesystem store: a spec's code folders become
 * packages and the spec carries their digests; a folder shared by training and evaluation is
 * packaged once; a section whose folder is gone keeps the digest it carries; a too-large folder is
 * refused naming the field. And the sandbox's SHA-256 (workflows/sdk/sha256.ts) agrees with Node's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import { describePackaged, packageSpecCode } from '../../client/code-packages';
import { InvalidArgumentError } from '../../common/failures';
import { pipelineSpecSchema } from '../../common/schemas/spec';
import { codeVersionOfPackages } from '../../workflows/sdk/champion';

describe('packageSpecCode', () => {
  let root: string;
  let store: FilesystemBlobStore;

  const folder = (name: string, files: Record<string, string | Buffer>) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), body);
    return dir;
  };
  const specOf = (training: Record<string, unknown>, evaluation: Record<string, unknown>) =>
    pipelineSpecSchema.parse({
      name: 'churn',
      model: 'churn',
      dataset: { name: 'churn', source: '/data' },
      training: { entrypoint: ['python', 'train.py'], ...training },
      evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc', ...evaluation },
    });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-packages-'));
    store = new FilesystemBlobStore(path.join(root, 'store'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('packages a shared folder once, sets both digests, and uploads nothing the second time', async () => {
    const code = folder('code', { 'train.py': 'print(1)\n', 'evaluate.py': 'print(2)\n' });
    const spec = specOf({ codeDir: code }, { codeDir: code });
    const lines: string[] = [];
    const first = await packageSpecCode(store, spec, { onPackage: (p) => lines.push(describePackaged(p)) });
    assert.equal(first.packages.length, 1);
    const [pkg] = first.packages;
    assert.deepEqual(pkg!.sections, ['training', 'evaluation']);
    assert.equal(pkg!.uploaded, true);
    assert.equal(first.spec.training.codePackage, pkg!.digest);
    assert.equal(first.spec.evaluation.codePackage, pkg!.digest);
    assert.equal(spec.training.codePackage, undefined, 'the given spec is left as it was');
    assert.ok(await store.head(`code/${pkg!.digest.slice('sha256:'.length)}.zip`));
    assert.deepEqual(lines, [
      `packaged training and evaluation code ${code}: ${pkg!.digest.slice(0, 19)} (2 files, uploaded)`,
    ]);

    const again = await packageSpecCode(store, spec);
    assert.equal(again.packages[0]!.digest, pkg!.digest);
    assert.equal(again.packages[0]!.uploaded, false);
  });

  it('packages two folders apart, and re-packages a folder that exists over the digest a spec carries', async () => {
    const train = folder('train', { 'train.py': 'print(1)\n' });
    const evaluate = folder('evaluate', { 'evaluate.py': 'print(2)\n' });
    const stale = `sha256:${'0'.repeat(64)}`;
    const { spec, packages } = await packageSpecCode(
      store,
      specOf({ codeDir: train, codePackage: stale }, { codeDir: evaluate }),
    );
    assert.deepEqual(
      packages.map((p) => [p.sections, p.folder]),
      [
        [['training'], train],
        [['evaluation'], evaluate],
      ],
    );
    assert.notEqual(spec.training.codePackage, stale);
    assert.notEqual(spec.training.codePackage, spec.evaluation.codePackage);
  });

  it('keeps the digest of a section whose folder is not on this machine', async () => {
    const carried = `sha256:${'1'.repeat(64)}`;
    const code = folder('code', { 'evaluate.py': 'print(2)\n' });
    const { spec, packages } = await packageSpecCode(
      store,
      specOf({ codeDir: path.join(root, 'gone'), codePackage: carried }, { codeDir: code }),
    );
    assert.equal(spec.training.codePackage, carried);
    assert.deepEqual(
      packages.map((p) => p.sections),
      [['evaluation']],
    );
  });

  it('refuses a missing folder without a digest and a too-large one, naming the field, and stores nothing', async () => {
    await assert.rejects(
      packageSpecCode(store, specOf({ codeDir: path.join(root, 'gone') }, { codeDir: path.join(root, 'gone') })),
      (err: unknown) =>
        err instanceof InvalidArgumentError && /^training\.codeDir: .*gone is not a folder/.test(err.message),
    );
    const code = folder('code', { 'train.py': 'print(1)\n' });
    const big = folder('big', { 'evaluate.py': 'x\n', 'model.bin': Buffer.alloc(8192, 7) });
    await assert.rejects(
      packageSpecCode(store, specOf({ codeDir: code }, { codeDir: big }), { maxBytes: 4096 }),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        err.message.startsWith('evaluation.codeDir: ') &&
        err.message.includes('model.bin (8.0 KiB)'),
    );
    const stored: string[] = [];
    for await (const o of store.list('code/')) stored.push(o.key);
    assert.deepEqual(stored, [], 'the training package was not uploaded either');
  });
});

describe('the code version of two packages', () => {
  it('is the digest when both are the same, else both digests in order', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    assert.equal(codeVersionOfPackages(a, a), a);
    assert.equal(codeVersionOfPackages(a, b), `${a}+${b}`);
    assert.notEqual(codeVersionOfPackages(b, a), codeVersionOfPackages(a, b));
  });
});
