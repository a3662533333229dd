/** A local job from a code package: it runs code its host never had on disk, from the store alone. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { packageCode } from '../../activities/code';
import { FilesystemBlobStore } from '../../activities/storage';
import { LocalProcessBackend, type TrainingJob } from '../../activities/training';
import { rayPackageName, storedPackage } from '../../activities/training/ray-package';
import { tempDir, waitFor } from './helpers';

const SCRIPT = [
  '#!/bin/sh',
  '. ./lib/greeting.sh',
  'echo "$GREETING from $(pwd)"',
  'echo "{\\"answer\\": 42}" > "$MLOPS_OUTPUT_DIR/metrics.json"',
  'echo scratch > scratch.txt',
  '',
].join('\n');

describe('a local training job from a code package', function () {
  this.timeout(20_000);
  let store: FilesystemBlobStore;
  let workRoot: string;
  let codeRoot: string;
  let backend: LocalProcessBackend;
  let digest: string;

  beforeEach(async function () {
    store = new FilesystemBlobStore(tempDir('store'));
    workRoot = tempDir('jobs');
    codeRoot = tempDir('roots');
    const folder = tempDir('code');
    fs.writeFileSync(path.join(folder, 'run.sh'), SCRIPT, { mode: 0o755 });
    fs.mkdirSync(path.join(folder, 'lib'));
    fs.writeFileSync(path.join(folder, 'lib', 'greeting.sh'), 'GREETING=packaged\n');
    ({ digest } = await packageCode(store, folder));
    fs.rmSync(folder, { recursive: true });
    // the source roots hold no code at all: a package is not a folder of this host
    backend = new LocalProcessBackend({ store, workRoot, codeRoots: [codeRoot], killGraceMs: 500 });
  });

  const job = (extra: Partial<TrainingJob> = {}): TrainingJob => ({
    name: 'packaged',
    command: ['./run.sh'],
    codePackage: { digest },
    params: {},
    outputPrefix: 'experiments/test/run-1/trials/0',
    ...extra,
  });

  it('runs the packaged script, whose folder was deleted after packaging, in its own working copy', async function () {
    const { jobId } = await backend.submit(job(), 'k-1');
    const status = await waitFor(backend, jobId, ['succeeded', 'failed']);
    assert.equal(status.state, 'succeeded', JSON.stringify(status));
    const { text } = await backend.logs(jobId);
    assert.equal(text.trim(), `packaged from ${path.join(workRoot, jobId, 'code')}`);
    assert.deepEqual((await backend.result(jobId)).metrics, { answer: 42 });

    // a second job of the same digest starts from the package, not from what the first left behind
    const second = await backend.submit(job({ command: ['/bin/sh', '-c', 'ls'] }), 'k-2');
    assert.equal((await waitFor(backend, second.jobId, ['succeeded', 'failed'])).state, 'succeeded');
    assert.deepEqual((await backend.logs(second.jobId)).text.trim().split('\n'), ['lib', 'run.sh']);
    assert.deepEqual(fs.readdirSync(path.join(workRoot, 'code')), [digest.slice(7)], 'materialized once');
  });

  it('refuses a malformed digest, both codeDir and codePackage, and a package the store lacks; nothing runs', async function () {
    const cases: [TrainingJob, RegExp][] = [
      [job({ codePackage: { digest: 'sha256:xyz' } }), /^codePackage\.digest: must be sha256:/],
      [job({ codeDir: codeRoot }), /^codeDir: give codeDir or codePackage, not both/],
      [
        job({ codePackage: { digest: `sha256:${'a'.repeat(64)}` } }),
        /^codePackage\.digest: the store holds no code package/,
      ],
      [{ ...job(), codePackage: undefined }, /^codeDir: must be an absolute folder path, or give codePackage/],
    ];
    for (const [bad, message] of cases) {
      await assert.rejects(backend.submit(bad, `k-bad-${String(message)}`), (error: Error) => {
        assert.equal((error as { type?: string }).type, 'InvalidTrainingJob');
        assert.match(error.message, message);
        return true;
      });
    }
    assert.deepEqual(
      fs.readdirSync(workRoot).filter((name) => name !== 'code'),
      [],
      'no job folder is left',
    );
  });

  it('gives the Ray backend the stored bytes, verified, and nothing when the head has the package', async function () {
    const { zip, name } = await storedPackage(store, digest, async () => false);
    assert.equal(name, rayPackageName(digest));
    assert.ok(zip && Buffer.from(zip).equals(await store.getBytes(`code/${digest.slice(7)}.zip`)));
    const held = await storedPackage(store, digest, async (n) => n === name);
    assert.equal(held.zip, undefined, 'a package the head holds is not downloaded');
    // another package's bytes under this digest's key
    const other = tempDir('other');
    fs.writeFileSync(path.join(other, 'run.sh'), '#!/bin/sh\necho other\n', { mode: 0o755 });
    const tampered = await packageCode(store, other);
    await store.put(`code/${digest.slice(7)}.zip`, await store.getBytes(tampered.key));
    await assert.rejects(
      storedPackage(store, digest, async () => false),
      (error: Error) => {
        assert.equal((error as { type?: string }).type, 'InvalidTrainingJob');
        assert.match(
          error.message,
          /^codePackage\.digest: the code package .* is refused: its manifest does not match/,
        );
        return true;
      },
    );
  });
});
