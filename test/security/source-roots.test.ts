/**
 * A spec cannot read any folder of the worker: a dataset source outside the allowed source roots
 * (MLOPS_SOURCE_ROOTS; by default the project folder and a filesystem store) is refused naming
 * `dataset.source` and the roots, by `mlops pipeline validate` and by the snapshot activity, the
 * authority, which reads nothing; a symlink inside a root that leads out is judged by its target;
 * the Ray code package follows no symlink out of its folder; and restoring a snapshot or a model
 * folder creates no folder outside its target before refusing a path. No server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDataActivities, materializeSnapshot, snapshotDataset } from '../../activities/data';
import { downloadModel, InvalidModelFolderError } from '../../activities/models/model-files';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { createTrainingBackend } from '../../activities/training';
import { buildPackage } from '../../activities/training/ray-package';
import { checkPipelineSpec } from '../../client/pipeline-spec';
import { isDataError } from '../../common/failures';
import { validateConfig } from '../../lib/config';
import { MLOPS_BIN } from '../support/cli';
import { fakeListingStore } from '../support/fake-listing-store';
import { silentLogger } from '../support/loggers';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

function fileStore(root: string): BlobStore {
  return createBlobStore({ kind: 'file', root, uri: `file://${root}` });
}

function keysUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) =>
    fs.statSync(path.join(root, f)).isFile(),
  );
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [MLOPS_BIN, ...args], {
      cwd,
      env: { ...process.env, MLOPS_SOURCE_ROOTS: '', MLOPS_PIPELINES_DIR: '', MLOPS_HOME: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('allowed source roots', function () {
  this.timeout(60_000);
  let home: string;
  let aws: string;
  let project: string;
  let storeRoot: string;

  const spec = (source: string) => `name: churn
model: churn
dataset:
  name: churn
  source: ${source}
training:
  entrypoint: [python, train.py]
evaluation:
  entrypoint: [python, evaluate.py]
  primaryMetric: auc
`;

  beforeEach(() => {
    // a worker user's home with credentials, outside the project
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-roots-home-'));
    aws = path.join(home, '.aws');
    fs.mkdirSync(aws);
    fs.writeFileSync(path.join(aws, 'credentials'), `[default]\naws_secret_access_key = ${SECRET}\n`);
    project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-roots-project-')));
    fs.writeFileSync(path.join(project, 'train.py'), '');
    fs.writeFileSync(path.join(project, 'evaluate.py'), '');
    fs.mkdirSync(path.join(project, 'data'));
    fs.writeFileSync(path.join(project, 'data', 'train.csv'), 'a,b\n1,2\n');
    storeRoot = path.join(project, '.mlops', 'store');
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  });

  describe('the configured roots', () => {
    it('default to the working directory, the pipelines folder’s parent and a filesystem store', () => {
      const result = validateConfig({ MLOPS_PIPELINES_DIR: '/srv/team/pipelines' }, '/work/proj');
      assert.ok(result.ok);
      assert.deepEqual(result.config.sourceRoots, ['/work/proj', '/srv/team', '/work/proj/.mlops/store']);
    });

    it('are MLOPS_SOURCE_ROOTS when set, the filesystem store still allowed', () => {
      const result = validateConfig({ MLOPS_SOURCE_ROOTS: '/data, shared ,', MLOPS_STORE: 'file:///var/store' }, '/w');
      assert.ok(result.ok);
      assert.deepEqual(result.config.sourceRoots, ['/data', '/w/shared', '/var/store']);
      const s3 = validateConfig({ MLOPS_SOURCE_ROOTS: '/data', MLOPS_STORE: 's3://bucket/p' }, '/w');
      assert.ok(s3.ok);
      assert.deepEqual(s3.config.sourceRoots, ['/data']);
    });
  });

  describe('at validation', () => {
    it('refuses a spec whose dataset.source is ~/.aws, naming the field and the roots', () => {
      const file = path.join(project, 'churn.yaml');
      fs.writeFileSync(file, spec(aws));
      const check = checkPipelineSpec(file, { sourceRoots: [project] });
      assert.equal(check.ok, false);
      const issue = check.ok ? undefined : check.errors.find((e) => e.path === 'dataset.source');
      assert.ok(issue, JSON.stringify(check));
      assert.match(issue.message, new RegExp(`^${aws} is outside the folders this worker may read: ${project}`));
      assert.equal(issue.line, 5);
    });

    it('mlops pipeline validate exits 2 for it with the default roots, and accepts a source in the project', async () => {
      fs.writeFileSync(path.join(project, 'bad.yaml'), spec(aws));
      fs.writeFileSync(path.join(project, 'good.yaml'), spec('data'));
      const bad = await cli(['pipeline', 'validate', 'bad.yaml'], project);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /^bad\.yaml:5: dataset\.source: .*\.aws is outside the folders this worker may read/m);
      const good = await cli(['pipeline', 'validate', 'good.yaml'], project);
      assert.equal(good.code, 0, good.stderr);
    });

    it('refuses a symlink inside the project that leads to ~/.aws', () => {
      fs.symlinkSync(aws, path.join(project, 'linked'));
      const file = path.join(project, 'churn.yaml');
      fs.writeFileSync(file, spec('linked'));
      const check = checkPipelineSpec(file, { sourceRoots: [project] });
      const issue = check.ok ? undefined : check.errors.find((e) => e.path === 'dataset.source');
      assert.ok(issue, JSON.stringify(check));
      assert.match(issue.message, /linked \(it leads to .*\.aws\) is outside the folders this worker may read/);
    });
  });

  describe('the snapshot activity', () => {
    function activities(store: BlobStore) {
      return createDataActivities({
        store,
        cacheDir: path.join(project, '.mlops', 'cache'),
        openStore: () => assert.fail('no store URI here'),
        sourceRoots: [project, storeRoot],
      });
    }
    const env = () => new MockActivityEnvironment(undefined, { logger: silentLogger });

    it('refuses ~/.aws as a non-retryable failure naming dataset.source, and stores nothing', async () => {
      const store = fileStore(storeRoot);
      const acts = activities(store);
      const error = await env()
        .run(acts.snapshotDataset, { dataset: 'creds', source: aws })
        .then(
          () => assert.fail('snapshotted ~/.aws'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.equal(error.type, 'DatasetSourceInvalid');
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, new RegExp(`^dataset\\.source: ${aws} is outside .*: ${project}, ${storeRoot}`));
      assert.deepEqual(keysUnder(storeRoot), []);
    });

    it('refuses a symlink inside a root that leads out, and one file linked out of a source folder', async () => {
      const store = fileStore(storeRoot);
      fs.symlinkSync(aws, path.join(project, 'linked'));
      const error = await snapshotDataset(
        store,
        { dataset: 'creds', source: path.join(project, 'linked') },
        { sourceRoots: [project] },
      ).then(
        () => assert.fail('snapshotted through the link'),
        (e: unknown) => e,
      );
      assert.ok(isDataError(error, 'DatasetSourceInvalid'), String(error));
      assert.match((error as Error).message, /^dataset\.source: .*linked \(it leads to .*\.aws\) is outside/);
      fs.symlinkSync(path.join(aws, 'credentials'), path.join(project, 'data', 'credentials'));
      const inside = await snapshotDataset(
        store,
        { dataset: 'churn', source: path.join(project, 'data') },
        { sourceRoots: [project] },
      ).then(
        () => assert.fail('snapshotted the linked file'),
        (e: unknown) => e,
      );
      assert.ok(isDataError(inside, 'DatasetSourceInvalid'), String(inside));
      assert.match((inside as Error).message, /credentials in .* is a symlink to .*, outside the source folder/);
      assert.deepEqual(keysUnder(storeRoot), []);
    });

    it('snapshots a folder inside a root, and a file:// URL of it', async () => {
      const store = fileStore(storeRoot);
      const result = await snapshotDataset(
        store,
        { dataset: 'churn', source: `file://${project}/data` },
        {
          sourceRoots: [project],
        },
      );
      assert.equal(result.fileCount, 1);
    });
  });

  describe('the Ray code package', () => {
    it('refuses a symlink that leaves the code folder, naming it', async () => {
      const code = path.join(project, 'code');
      fs.mkdirSync(code);
      fs.writeFileSync(path.join(code, 'train.py'), 'print(1)\n');
      fs.symlinkSync(path.join(aws, 'credentials'), path.join(code, 'settings.ini'));
      await assert.rejects(buildPackage(code), (error: Error) => {
        assert.equal((error as { type?: string }).type, 'InvalidTrainingJob');
        assert.match(
          error.message,
          /^codeDir: settings\.ini in .* is a symlink to .*credentials, outside the code folder/,
        );
        assert.doesNotMatch(error.message, new RegExp(SECRET));
        return true;
      });
    });

    it('still ships a symlink that stays inside the code folder', async () => {
      const code = path.join(project, 'code');
      fs.mkdirSync(code);
      fs.writeFileSync(path.join(code, 'train.py'), 'print(1)\n');
      fs.symlinkSync('train.py', path.join(code, 'main.py'));
      const pkg = await buildPackage(code);
      assert.ok(pkg.zip.length > 0);
    });
  });

  describe('a training job', () => {
    it('whose codeDir is ~/.aws is refused by the worker, naming codeDir, and nothing runs', async () => {
      const workRoot = path.join(project, '.mlops', 'jobs');
      const backend = createTrainingBackend('local', {
        store: fileStore(storeRoot),
        workRoot,
        codeRoots: [project, storeRoot],
      });
      const job = {
        name: 'steal',
        command: ['cat', 'credentials'],
        codeDir: aws,
        params: {},
        outputPrefix: 'experiments/x/run/trials/0/',
      };
      await assert.rejects(backend.submit(job, 'steal-1'), (error: Error) => {
        assert.equal((error as { type?: string }).type, 'InvalidTrainingJob');
        assert.match(error.message, /^codeDir: /);
        assert.doesNotMatch(error.message, new RegExp(SECRET));
        return true;
      });
      assert.deepEqual(keysUnder(workRoot), [], 'no job folder was made');
      // the same job from a folder inside the project is accepted
      fs.mkdirSync(path.join(project, 'code'));
      await backend.submit({ ...job, command: ['true'], codeDir: path.join(project, 'code') }, 'ok-1');
    });
  });

  describe('restoring into a folder', () => {
    it('creates no folder outside a materialize target before refusing a path through a symlink', async () => {
      const store = fileStore(storeRoot);
      const source = path.join(project, 'nested');
      fs.mkdirSync(path.join(source, 'sub', 'deep'), { recursive: true });
      fs.writeFileSync(path.join(source, 'sub', 'deep', 'f.csv'), 'a\n1\n');
      const snap = await snapshotDataset(store, { dataset: 'nested', source }, { sourceRoots: [project] });
      const target = path.join(project, 'restore');
      const outside = path.join(home, 'outside');
      fs.mkdirSync(target);
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(target, 'sub'));
      const error = await materializeSnapshot(store, { dataset: 'nested', id: snap.id, dir: target }).then(
        () => assert.fail('restored through the link'),
        (e: unknown) => e,
      );
      assert.ok(isDataError(error, 'SnapshotCorrupt'), String(error));
      assert.match((error as Error).message, /sub\/deep\/f\.csv: its folder resolves to .*outside/);
      assert.deepEqual(fs.readdirSync(outside), [], 'a folder was made outside the target');
    });

    it('creates no model folder outside its target for a store key with ..', async () => {
      const inner = fileStore(storeRoot);
      await inner.put('models/m/versions/1/model.pkl', 'model');
      const store = fakeListingStore(inner, [{ key: 'models/m/versions/1/../../escaped/x.bin', body: 'x' }]);
      const dir = path.join(project, 'jobs', 'model');
      await assert.rejects(downloadModel(store, 'models/m/versions/1', dir), (error: Error) => {
        assert.ok(error instanceof InvalidModelFolderError);
        assert.match(error.message, /has a path that would leave the model folder/);
        return true;
      });
      assert.equal(fs.existsSync(path.join(project, 'jobs')), false, 'folders were made before the refusal');
      assert.equal(fs.existsSync(path.join(project, 'escaped')), false);
    });
  });
});
