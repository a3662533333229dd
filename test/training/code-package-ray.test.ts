/** A Ray job from a code package, against the real local Ray head and the test MinIO: the head gets the stored bytes. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packageCode } from '../../activities/code';
import type { BlobStore } from '../../activities/storage/types';
import { RayJobsBackend, rayStoreEnv, type TrainingJob } from '../../activities/training';
import { rayPackageName } from '../../activities/training/ray-package';
import { testRay, type TestRay } from '../support/ray';
import { testS3Config, testS3Store } from '../support/worker';
import { tempDir, waitFor } from './helpers';

const JOB_MS = 60_000;

describe('ray training backend with a code package', function () {
  this.timeout(120_000);
  let ray: TestRay;
  let store: BlobStore;
  let backend: RayJobsBackend;

  before(async function () {
    ray = await testRay();
    const prefix = `ray-pkg-${randomUUID().slice(0, 8)}`;
    store = testS3Store(prefix);
    backend = new RayJobsBackend({ address: ray.address, store, storeEnv: rayStoreEnv(testS3Config(prefix)) });
  });

  it('runs a job whose code folder was deleted after packaging, from the package the store holds', async function () {
    const folder = tempDir('ray-pkg-code');
    fs.mkdirSync(path.join(folder, 'lib'));
    fs.writeFileSync(path.join(folder, 'lib', 'answer.py'), 'ANSWER = 42\n');
    fs.writeFileSync(
      path.join(folder, 'train.py'),
      [
        'import hashlib, json, os, sys',
        'sys.path.insert(0, "lib")',
        'from answer import ANSWER',
        'files = sorted(os.listdir("."))',
        'json.dump({"answer": ANSWER}, open(os.path.join(os.environ["MLOPS_OUTPUT_DIR"], "metrics.json"), "w"))',
        'print("files", json.dumps(files), flush=True)',
        'print("digest sha256:" + hashlib.sha256(open(".mlops-code-manifest.json", "rb").read()).hexdigest(), flush=True)',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(folder, '.env'), 'SECRET=1\n');
    const pkg = await packageCode(store, folder);
    fs.rmSync(folder, { recursive: true });
    const job: TrainingJob = {
      name: 'ray-package-job',
      command: ['python', 'train.py'],
      codePackage: { digest: pkg.digest },
      params: {},
      outputPrefix: `experiments/ray/run-${randomUUID().slice(0, 8)}/trials/1`,
      backend: 'ray',
    };
    const { jobId } = await backend.submit(job, `k-pkg-${randomUUID()}`);
    const done = await waitFor(backend, jobId, ['succeeded', 'failed', 'cancelled'], JOB_MS);
    assert.equal(done.state, 'succeeded', JSON.stringify(done));
    const rows = (await (await fetch(`${ray.address}/api/jobs/`)).json()) as {
      submission_id: string | null;
      runtime_env?: { working_dir?: string };
    }[];
    const row = rows.find((r) => r.submission_id === jobId);
    assert.equal(row?.runtime_env?.working_dir, `gcs://${rayPackageName(pkg.digest)}`);
    const logs = await backend.logs(jobId);
    const listed = /^files (.*)$/m.exec(logs.text)?.[1];
    assert.ok(listed, logs.text);
    const files = (JSON.parse(listed) as string[]).filter((f) => f !== '__pycache__');
    assert.deepEqual(
      files,
      ['.mlops-code-manifest.json', 'lib', 'train.py'],
      'the user’s files and the manifest, no runner',
    );
    assert.match(logs.text, new RegExp(`^digest ${pkg.digest}$`, 'm'), 'the job ran the packaged code');
    assert.deepEqual((await backend.result(jobId)).metrics, { answer: 42 });
  });
});
