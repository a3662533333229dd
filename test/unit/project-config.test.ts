/**
 * Settings from files (lib/config/project.ts): the project folder found up from the working
 * directory, mlops.toml's [mlops] over the envconfig profile's [profile.<name>.mlops], the
 * environment over both; and the errors that name the file and key. Also: which errors exit 3.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, exitFor } from '../../client/exit-codes';
import { UserError } from '../../common/errors';
import { findProjectDir, loadConfig } from '../../lib/config';

describe('project folder and settings files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-project-')));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks up to the nearest folder holding .mlops/ or mlops.toml, else stays in the working directory', () => {
    const outer = path.join(dir, 'outer');
    const inner = path.join(outer, 'inner');
    const deep = path.join(inner, 'a', 'b');
    fs.mkdirSync(path.join(outer, '.mlops'), { recursive: true });
    fs.mkdirSync(deep, { recursive: true });
    assert.deepEqual(findProjectDir({}, deep), { dir: outer, foundBy: '.mlops' });
    fs.writeFileSync(path.join(inner, 'mlops.toml'), '');
    assert.deepEqual(findProjectDir({}, deep), { dir: inner, foundBy: 'mlops.toml' });
    assert.deepEqual(findProjectDir({ MLOPS_PROJECT_DIR: '../..' }, deep), {
      dir: inner,
      foundBy: 'MLOPS_PROJECT_DIR',
    });
    assert.deepEqual(findProjectDir({}, dir), { dir, foundBy: 'cwd' });
  });

  it('applies the environment over mlops.toml over the profile section, resolving paths in the project folder', () => {
    const profiles = path.join(dir, 'temporal.toml');
    fs.writeFileSync(
      profiles,
      '[profile.other]\nnamespace = "other"\n[profile.ci.mlops]\nstore = "file://from-profile"\npipelines_dir = "profile-pipelines"\nactor = "ci"\n',
    );
    fs.writeFileSync(path.join(dir, 'mlops.toml'), '[mlops]\npipelines_dir = "specs"\n');
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    const base = { TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'ci', HOME: dir };
    const config = loadConfig(base, sub);
    assert.equal(config.store.uri, `file://${path.join(dir, 'from-profile')}`);
    assert.equal(config.pipelinesDir, path.join(dir, 'specs'), 'mlops.toml over the profile');
    assert.equal(config.actor, 'ci');
    assert.equal(config.home, path.join(dir, '.mlops'), 'the default home is in the project folder');
    assert.deepEqual(config.settingsFiles, [profiles, path.join(dir, 'mlops.toml')]);
    const fromEnv = loadConfig({ ...base, MLOPS_PIPELINES_DIR: 'env-specs' }, sub);
    assert.equal(fromEnv.pipelinesDir, path.join(dir, 'env-specs'), 'the environment over both files');
    // another profile has no section: nothing of the ci one applies
    const other = loadConfig({ ...base, TEMPORAL_PROFILE: 'other' }, sub);
    assert.equal(other.store.uri, `file://${path.join(dir, '.mlops', 'store')}`);
  });

  it('names the file and the key of a setting it does not know, or a value it cannot take', () => {
    fs.writeFileSync(path.join(dir, 'mlops.toml'), '[mlops]\nstroe = "x"\ntask_queue = ["a"]\n');
    assert.throws(
      () => loadConfig({ HOME: dir, TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml') }, dir),
      (err: UserError) =>
        err.exitCode === 2 &&
        err.message.includes(`${path.join(dir, 'mlops.toml')}: [mlops]: unknown key "stroe"`) &&
        err.message.includes('task_queue must be a string, a number or a boolean'),
    );
    fs.writeFileSync(path.join(dir, 'mlops.toml'), 'store = "x"\n');
    assert.throws(
      () => loadConfig({ HOME: dir }, dir),
      /mlops\.toml: unknown table or key "store" \(settings go in \[mlops\]\)/,
    );
    fs.writeFileSync(path.join(dir, 'mlops.toml'), '[mlops\n');
    assert.throws(() => loadConfig({ HOME: dir }, dir), /mlops\.toml: not valid TOML/);
  });

  it('exits 3 for an error caused by a refused connection, however wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 9000,
    });
    assert.deepEqual(exitFor(new TypeError('fetch failed', { cause: refused })), {
      code: EXIT.unreachable,
      expected: true,
    });
    assert.equal(exitFor(new UserError('gateway down', 1, { cause: new AggregateError([refused]) })).code, 3);
    assert.deepEqual(exitFor(new Error('something else')), { code: EXIT.failed, expected: false });
  });
});
