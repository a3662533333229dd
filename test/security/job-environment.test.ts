/**
 * A pipeline author's code runs on the worker's host: a training job and a model server must not
 * get the worker's secrets, and what a job prints must not carry them into the workflow history.
 * The worker here holds fake secrets in its real environment (process.env); the jobs are run by the
 * real local backend and `runTrainingJob`, the model server is the project's real one behind the real
 * gateway. The Ray job's environment is checked on the builder of its runtime_env (the runner keeps
 * the MLOPS_RUNNER_* variables from the command).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import {
  createTrainingActivities,
  LocalProcessBackend,
  rayStoreEnv,
  type TrainingJob,
} from '../../activities/training';
import { rayJobEnv } from '../../activities/training/ray-env';
import { REPO_ROOT } from '../../lib/tools';
import { activityEnv } from '../registry/activity-env';
import { trainChurnModel } from '../support/churn-model';
import { startTestServing, type TestServing } from '../support/serving';
import { waitFor } from '../training/helpers';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const RUNNER_DIR = path.join(REPO_ROOT, 'activities', 'training');
const CODEC_KEY_1 = Buffer.alloc(32, 7).toString('base64');
const CODEC_KEY_2 = Buffer.alloc(32, 9).toString('base64');

/** The worker's fake secrets: the settings a real worker holds, and one any tool might add. */
const WORKER_SECRETS: Record<string, string> = {
  MLOPS_CODEC_KEYS: `k2:${CODEC_KEY_2},k1:${CODEC_KEY_1}`,
  TEMPORAL_API_KEY: 'temporal-api-key-fake-0123456789',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-fake/wJalrX+UtnFEMI',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEWORKERKEY',
  MLOPS_GATEWAY_TOKEN: 'gateway-token-fake-abcdef012345',
  SOME_PASSWORD: 'some-password-fake-hunter2',
  MLOPS_WEBHOOK_TEAM: 'https://hooks.example.com/services/T0/B0/fake-webhook-secret',
};
/** The values that must appear nowhere: each secret, and each codec key on its own. */
const SECRET_VALUES = [
  ...Object.entries(WORKER_SECRETS)
    .filter(([name]) => name !== 'AWS_ACCESS_KEY_ID')
    .map(([, value]) => value),
  CODEC_KEY_1,
  CODEC_KEY_2,
];

/** A script printing its whole environment, one `NAME=value` a line; exits with `code`. */
const PRINT_ENV =
  'import os, sys\nfor k, v in sorted(os.environ.items()):\n    print(f"{k}={v}")\nsys.exit(int(sys.argv[1]))\n';

function assertNoSecrets(text: string, where: string): void {
  for (const value of SECRET_VALUES) assert.ok(!text.includes(value), `${where} holds ${value}`);
  for (const name of Object.keys(WORKER_SECRETS)) {
    assert.ok(!new RegExp(`^${name}=`, 'm').test(text), `${where} has the worker's ${name}`);
  }
}

describe('the environment of jobs and model servers', function () {
  this.timeout(120_000);
  let root: string;
  let store: BlobStore;
  let codeDir: string;
  const saved: Record<string, string | undefined> = {};

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-job-env-'));
    store = new FilesystemBlobStore(path.join(root, 'store'));
    codeDir = path.join(root, 'code');
    fs.mkdirSync(codeDir);
    fs.writeFileSync(path.join(codeDir, 'print_env.py'), PRINT_ENV);
    for (const [name, value] of Object.entries(WORKER_SECRETS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  const job = (name: string, extra: Partial<TrainingJob> = {}): TrainingJob => ({
    name,
    command: ['python', 'print_env.py', '0'],
    codeDir,
    params: { lr: 0.1 },
    env: { TEAM_SETTING: 'blue-team-setting' },
    outputPrefix: `experiments/env/${name}`,
    ...extra,
  });

  it("a training job that prints its environment shows none of the worker's secrets, and its own variables", async function () {
    const backend = new LocalProcessBackend({ store, workRoot: path.join(root, 'jobs'), python: PYTHON });
    const { jobId } = await backend.submit(job('print-env'), 'env-test/print-env');
    const status = await waitFor(backend, jobId, ['succeeded', 'failed'], 30_000);
    const { text } = await backend.logs(jobId);
    assert.equal(status.state, 'succeeded', text);
    assertNoSecrets(text, 'the job log');
    assert.match(text, /^TEAM_SETTING=blue-team-setting$/m, "the spec's training.env reaches the job");
    assert.match(text, new RegExp(`^PATH=${escape(process.env.PATH!)}$`, 'm'), 'PATH reaches the job');
    assert.match(text, /^HOME=/m);
    assert.match(text, /^MLOPS_PARAMS=\{"lr":0\.1\}$/m, 'the job contract variables reach the job');
    assert.match(text, /^MLOPS_OUTPUT_DIR=\//m);
    assert.doesNotMatch(text, /^MLOPS_(STORE|S3_|CODEC|GATEWAY|WEBHOOK)/m, 'no worker setting reaches the job');
  });

  it("a job that prints the worker's secrets has them redacted in the log it leaves in the store", async function () {
    const leaked = `token=${WORKER_SECRETS.MLOPS_GATEWAY_TOKEN} codec=${CODEC_KEY_2}`;
    const backend = new LocalProcessBackend({ store, workRoot: path.join(root, 'jobs'), python: PYTHON });
    const printing = job('stored-log', { command: ['/bin/sh', '-c', `echo '${leaked}'; echo done`] });
    const { jobId } = await backend.submit(printing, 'env-test/stored-log');
    assert.equal((await waitFor(backend, jobId, ['succeeded', 'failed'], 30_000)).state, 'succeeded');
    await backend.result(jobId);
    const stored = (await store.getBytes(`${printing.outputPrefix}/logs/job.log`)).toString('utf8');
    assertNoSecrets(stored, 'the stored job log');
    assert.match(stored, /^token=\[redacted\] codec=\[redacted\]$/m);
    assert.match(stored, /^done$/m, 'the rest of the log is kept');
  });

  it("a failing job that prints the worker's secrets has them redacted in the failure and the log tail", async function () {
    // what a job might find on the host (a credentials file, another process): printed as found,
    // URL-encoded and base64-encoded, just before it fails
    const leak = [
      `token=${WORKER_SECRETS.MLOPS_GATEWAY_TOKEN}`,
      `aws=${encodeURIComponent(WORKER_SECRETS.AWS_SECRET_ACCESS_KEY!)}`,
      `codec=${CODEC_KEY_1}`,
      `temporal=${Buffer.from(WORKER_SECRETS.TEMPORAL_API_KEY!).toString('base64')}`,
      `pw=${WORKER_SECRETS.SOME_PASSWORD}`,
    ].join('\n');
    fs.writeFileSync(path.join(codeDir, 'found.txt'), `${leak}\n`);
    const backend = new LocalProcessBackend({ store, workRoot: path.join(root, 'jobs'), python: PYTHON });
    const acts = createTrainingActivities({ trainingBackend: backend, store });
    const env = activityEnv({ activityId: 'env-test-failing', heartbeatTimeoutMs: 60_000 });
    const failing = job('leaky', { command: ['/bin/sh', '-c', 'cat found.txt; exit 3'] });
    await assert.rejects(env.run(acts.runTrainingJob, { job: failing, step: 'train', pollIntervalMs: 50 }), (e) => {
      assert.ok(e instanceof ApplicationFailure, String(e));
      assert.equal(e.type, 'TrainingJobFailed');
      const everything = JSON.stringify({ message: e.message, details: e.details });
      assertNoSecrets(everything, 'the failure');
      assert.match(e.message, /exit code 3/);
      assert.match(e.message, /token=\[redacted\]/);
      assert.match(e.message, /aws=\[redacted\]/);
      assert.match(e.message, /codec=\[redacted\]/);
      assert.match(e.message, /temporal=\[redacted\]/);
      assert.match(e.message, /pw=\[redacted\]/);
      return true;
    });
  });

  describe('a model server', function () {
    let serving: TestServing;
    let artifactUri: string;

    before(async function () {
      const home = path.join(root, 'serving-home');
      artifactUri = (
        await trainChurnModel(store, 'models/churn/versions/1/artifact', fs.mkdtempSync(path.join(root, 'churn-')))
      ).artifactUri;
      serving = await startTestServing(store, home);
    });

    after(async () => {
      await serving?.stop();
    });

    it("gets none of the worker's secrets in its environment", async function () {
      const backend = serving.backend();
      await backend.deployVariant('envcheck', { name: 'churn', version: 1, artifactUri });
      const pidFile = path.join(serving.servingRoot, 'envcheck', 'churn-v1', 'pid');
      const { pid } = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid: number };
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').join('\n');
      await backend.waitReady('envcheck', 'churn-v1', 60_000);
      assertNoSecrets(environ, "the model server's environment");
      assert.match(environ, /^PATH=/m);
      assert.match(environ, /^OMP_NUM_THREADS=1$/m);
    });
  });

  it("a Ray job's runtime_env holds the store's credentials only under the runner's names", function () {
    const storeEnv = rayStoreEnv({
      kind: 's3',
      uri: 's3://bucket/prefix',
      bucket: 'bucket',
      prefix: 'prefix',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: WORKER_SECRETS.AWS_SECRET_ACCESS_KEY! },
    });
    const env = rayJobEnv({
      job: job('ray', { env: { TEAM_SETTING: 'blue', MLOPS_RUNNER_AWS_SECRET_ACCESS_KEY: 'spoofed' } }),
      jobId: 'ray-0123',
      storeEnv,
      outputUri: 's3://bucket/prefix/out',
    });
    for (const [name, value] of Object.entries(env)) {
      if (value.includes(WORKER_SECRETS.AWS_SECRET_ACCESS_KEY!)) assert.match(name, /^MLOPS_RUNNER_/);
    }
    assert.equal(
      env.MLOPS_RUNNER_AWS_SECRET_ACCESS_KEY,
      WORKER_SECRETS.AWS_SECRET_ACCESS_KEY,
      'a job cannot override them',
    );
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(env.TEAM_SETTING, 'blue');
    // nothing of the worker's own environment travels
    for (const name of Object.keys(WORKER_SECRETS)) assert.equal(env[name], undefined, name);
    // and the runner hands the command an environment without its own variables
    const script = 'import json, sys, ray_runner; print(json.dumps(ray_runner.command_env(json.loads(sys.argv[1]))))';
    const commandEnv = JSON.parse(
      execFileSync(PYTHON, ['-c', script, JSON.stringify(env)], { cwd: RUNNER_DIR, encoding: 'utf8' }),
    ) as Record<string, string>;
    assert.deepEqual(
      Object.keys(commandEnv).filter((name) => name.startsWith('MLOPS_RUNNER_')),
      [],
    );
    assert.ok(!JSON.stringify(commandEnv).includes(WORKER_SECRETS.AWS_SECRET_ACCESS_KEY!));
    assert.equal(commandEnv.TEAM_SETTING, 'blue');
    assert.equal(commandEnv.MLOPS_JOB_ID, 'ray-0123');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
