/** Code packages: the digest names the code alone; materializing verifies it, stays in its folder and races safely. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { zipSync, type Zippable } from 'fflate';
import {
  codePackageKey,
  createCodeActivities,
  materializeCode,
  packageCode,
  type CodeManifestEntry,
} from '../../activities/code';
import { FilesystemBlobStore } from '../../activities/storage';
import { validateConfig } from '../../lib/config';
import { activityEnv } from '../registry/activity-env';

const made: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-code-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A folder holding `files` (path → text; a leading `#!` makes it executable). */
function codeFolder(files: Record<string, string>, mtime?: Date): string {
  const dir = tempDir('src');
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: text.startsWith('#!') ? 0o755 : 0o644 });
    if (mtime) fs.utimesSync(file, mtime, mtime);
  }
  return dir;
}

const code = {
  'train.py': 'print("train")\n',
  'run.sh': '#!/bin/sh\necho run\n',
  'lib/features.py': 'COLUMNS = ["a"]\n',
};

function storedKeys(root: string): string[] {
  const dir = path.join(root, 'code');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** A zip holding `files` and a manifest listing `listed`, and the digest that manifest hashes to. */
function craftedPackage(
  files: Record<string, string>,
  listed: CodeManifestEntry[],
): { zip: Uint8Array; digest: string } {
  const manifest = Buffer.from(JSON.stringify({ format: 'mlops-code/1', files: listed }));
  const entries: Zippable = Object.create(null) as Zippable;
  entries['.mlops-code-manifest.json'] = manifest;
  for (const [name, text] of Object.entries(files)) entries[name] = Buffer.from(text);
  return { zip: zipSync(entries), digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
}

function entryOf(rel: string, text: string): CodeManifestEntry {
  const bytes = Buffer.from(text);
  return { path: rel, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), executable: false };
}

function refusedAs(type: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.equal((error as { type?: string }).type, type, String(error));
    assert.match((error as Error).message, pattern);
    return true;
  };
}

describe('code packages', function () {
  let storeRoot: string;
  let store: FilesystemBlobStore;

  beforeEach(function () {
    storeRoot = tempDir('store');
    store = new FilesystemBlobStore(storeRoot);
  });
  after(function () {
    for (const dir of made.splice(0)) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('packageCode', function () {
    it('gives the same digest for the same files in two folders with other mtimes, and uploads once', async function () {
      const a = await packageCode(store, codeFolder(code, new Date('2001-02-03T04:05:06Z')));
      const b = await packageCode(store, codeFolder(code, new Date('2024-09-08T07:06:05Z')));
      assert.match(a.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(a.key, `code/${a.digest.slice(7)}.zip`);
      assert.equal(b.digest, a.digest);
      assert.deepEqual([a.uploaded, b.uploaded], [true, false], 'the second package of unchanged code uploads nothing');
      assert.equal(a.files, 3);
      assert.deepEqual(storedKeys(storeRoot), [`${a.digest.slice(7)}.zip`]);
    });

    it('leaves byte code, caches, VCS folders, environments and hidden files out of the digest', async function () {
      const base = await packageCode(store, codeFolder(code));
      const noisy = await packageCode(
        store,
        codeFolder({
          ...code,
          'train.pyc': 'x',
          'lib/features.pyo': 'x',
          '__pycache__/train.cpython-312.pyc': 'x',
          '.ipynb_checkpoints/nb.ipynb': '{}',
          '.git/HEAD': 'ref: refs/heads/main\n',
          '.env': 'SECRET=1\n',
          '.venv/bin/python': 'x',
          'venv/lib/site.py': 'x',
          'node_modules/x/index.js': 'x',
        }),
      );
      assert.equal(noisy.digest, base.digest);
      assert.equal(noisy.uploaded, false);
    });

    it('changes the digest when one byte changes, a file is renamed or its executable bit flips', async function () {
      const base = (await packageCode(store, codeFolder(code))).digest;
      const edited = (await packageCode(store, codeFolder({ ...code, 'lib/features.py': 'COLUMNS = ["b"]\n' }))).digest;
      const { 'train.py': train, ...rest } = code;
      const renamed = (await packageCode(store, codeFolder({ ...rest, 'training.py': train }))).digest;
      const folder = codeFolder(code);
      fs.chmodSync(path.join(folder, 'train.py'), 0o755);
      const executable = (await packageCode(store, folder)).digest;
      assert.equal(new Set([base, edited, renamed, executable]).size, 4);
    });

    it('refuses a folder past the size limit naming its largest files, and stores nothing', async function () {
      const folder = codeFolder({ ...code, 'model.bin': 'm'.repeat(300_000), 'data/big.csv': 'c'.repeat(200_000) });
      await assert.rejects(
        packageCode(store, folder, { maxBytes: 100_000, field: 'training.codeDir' }),
        refusedAs(
          'InvalidArgument',
          /^training\.codeDir: .* more than the limit .*MLOPS_CODE_PACKAGE_MAX_BYTES.*the largest files: model\.bin \(293\.0 KiB\), data\/big\.csv/,
        ),
      );
      assert.deepEqual(storedKeys(storeRoot), []);
    });

    it('refuses a symlink that leads out of the folder, naming it, and packages one that stays inside', async function () {
      const secret = codeFolder({ credentials: 'aws_secret_access_key = s3cr3t\n' });
      const folder = codeFolder(code);
      fs.symlinkSync(path.join(secret, 'credentials'), path.join(folder, 'settings.ini'));
      await assert.rejects(
        packageCode(store, folder),
        refusedAs(
          'InvalidArgument',
          /^folder: settings\.ini in .* is a symlink to .*credentials, outside the code folder/,
        ),
      );
      assert.deepEqual(storedKeys(storeRoot), []);
      fs.rmSync(path.join(folder, 'settings.ini'));
      fs.symlinkSync('train.py', path.join(folder, 'main.py'));
      const pkg = await packageCode(store, folder);
      assert.equal(pkg.files, 4);
      const { dir } = await materializeCode(store, pkg.digest, tempDir('cache'));
      assert.equal(fs.readFileSync(path.join(dir, 'main.py'), 'utf8'), code['train.py']);
      assert.ok(!fs.lstatSync(path.join(dir, 'main.py')).isSymbolicLink(), 'a link inside ships as its file');
    });

    it('refuses a folder that holds no code', async function () {
      await assert.rejects(
        packageCode(store, codeFolder({ '.env': 'x' })),
        refusedAs('InvalidArgument', /holds no code files/),
      );
      await assert.rejects(
        packageCode(store, path.join(storeRoot, 'absent')),
        refusedAs('InvalidArgument', /is not a folder/),
      );
    });
  });

  describe('materializeCode', function () {
    it('gives the packaged files with their executable bits, read-only, and downloads once per digest', async function () {
      const folder = codeFolder(code);
      const { digest } = await packageCode(store, folder);
      fs.rmSync(folder, { recursive: true });
      const cache = tempDir('cache');
      const first = await materializeCode(store, digest, cache);
      assert.equal(first.dir, path.join(cache, digest.slice(7)));
      assert.equal(first.downloaded, true);
      for (const [rel, text] of Object.entries(code)) {
        assert.equal(fs.readFileSync(path.join(first.dir, rel), 'utf8'), text);
      }
      assert.equal(fs.statSync(path.join(first.dir, 'run.sh')).mode & 0o777, 0o555);
      assert.equal(fs.statSync(path.join(first.dir, 'train.py')).mode & 0o777, 0o444);
      assert.ok(!fs.existsSync(path.join(first.dir, '.mlops-code-manifest.json')), 'only the user’s files');
      // with the package gone from the store, only the cache can answer
      await store.delete(codePackageKey(digest));
      assert.deepEqual(await materializeCode(store, digest, cache), { dir: first.dir, downloaded: false });
    });

    it('is safe when two materializers of one digest race: one complete folder, no leftovers', async function () {
      const { digest } = await packageCode(store, codeFolder(code));
      const cache = tempDir('cache');
      const [a, b] = await Promise.all([materializeCode(store, digest, cache), materializeCode(store, digest, cache)]);
      assert.equal(a.dir, b.dir);
      assert.deepEqual(fs.readdirSync(cache), [digest.slice(7)], 'the loser discarded its copy');
      assert.equal(fs.readFileSync(path.join(a.dir, 'lib/features.py'), 'utf8'), code['lib/features.py']);
    });

    it('refuses a package whose content does not match its digest, and caches nothing', async function () {
      const { digest, key } = await packageCode(store, codeFolder(code));
      const other = await packageCode(
        store,
        codeFolder({ ...code, 'train.py': 'import os; os.system("curl evil")\n' }),
      );
      await store.put(key, await store.getBytes(other.key));
      const cache = tempDir('cache');
      await assert.rejects(
        materializeCode(store, digest, cache),
        refusedAs(
          'InvalidArgument',
          /^digest: the code package sha256:[0-9a-f]{64} in the store is refused: its manifest does not match/,
        ),
      );
      // a manifest kept but a file swapped
      const forged = craftedPackage({ 'train.py': 'evil\n' }, [entryOf('train.py', 'good\n')]);
      await store.put(codePackageKey(forged.digest), forged.zip);
      await assert.rejects(
        materializeCode(store, forged.digest, cache),
        refusedAs('InvalidArgument', /train\.py (does not match its manifest|holds entries)/),
      );
      assert.deepEqual(fs.readdirSync(cache), []);
    });

    it('refuses crafted archives with ../ or absolute paths, writing nothing outside its folder', async function () {
      const cache = path.join(tempDir('host'), 'cache');
      const crafted = [
        craftedPackage({ '../x': 'escaped\n' }, [entryOf('../x', 'escaped\n')]),
        craftedPackage({ '/tmp/mlops-escaped': 'escaped\n' }, [entryOf('/tmp/mlops-escaped', 'escaped\n')]),
        craftedPackage({ 'ok.py': 'ok\n', '../y': 'escaped\n' }, [entryOf('ok.py', 'ok\n')]),
      ];
      for (const { zip, digest } of crafted) {
        await store.put(codePackageKey(digest), zip);
        await assert.rejects(
          materializeCode(store, digest, cache),
          refusedAs('InvalidArgument', /is absolute|\. or \.\. segment|entries its manifest does not list: \.\.\/y/),
        );
      }
      assert.ok(!fs.existsSync(path.join(cache, '..', 'x')) && !fs.existsSync(path.join(cache, '..', 'y')));
      assert.ok(!fs.existsSync('/tmp/mlops-escaped'));
      assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], []);
    });

    it('refuses a malformed digest and one the store lacks, naming digest', async function () {
      const cache = tempDir('cache');
      await assert.rejects(
        materializeCode(store, '../../etc', cache),
        refusedAs('InvalidArgument', /^digest: must be sha256:/),
      );
      await assert.rejects(
        materializeCode(store, `sha256:${'0'.repeat(64)}`, cache),
        refusedAs('InvalidArgument', /^digest: the store holds no code package/),
      );
    });
  });

  describe('the packageCode activity', function () {
    const env = activityEnv();

    it('packages a folder within the source roots and refuses one outside them, non-retryably', async function () {
      const root = tempDir('root');
      const inside = path.join(root, 'code');
      fs.cpSync(codeFolder(code), inside, { recursive: true });
      const acts = createCodeActivities({ store, sourceRoots: [root] });
      const pkg = await env.run(acts.packageCode, { folder: inside });
      assert.equal(pkg.uploaded, true);
      await assert.rejects(env.run(acts.packageCode, { folder: codeFolder(code) }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'InvalidArgument');
        assert.equal(error.nonRetryable, true);
        assert.match(error.message, /^folder: .* is outside the folders this worker may read/);
        return true;
      });
    });
  });

  describe('the size limit setting', function () {
    it('is 50 MiB unless MLOPS_CODE_PACKAGE_MAX_BYTES says otherwise, and refuses a non-number naming it', function () {
      const byDefault = validateConfig({}, '/srv/project');
      assert.ok(byDefault.ok && byDefault.config.codePackageMaxBytes === 50 * 1024 * 1024);
      const given = validateConfig({ MLOPS_CODE_PACKAGE_MAX_BYTES: '1048576' }, '/srv/project');
      assert.ok(given.ok && given.config.codePackageMaxBytes === 1024 * 1024);
      const bad = validateConfig({ MLOPS_CODE_PACKAGE_MAX_BYTES: '50MiB' }, '/srv/project');
      assert.ok(!bad.ok);
      assert.match(bad.issues.join('\n'), /^MLOPS_CODE_PACKAGE_MAX_BYTES: must be a whole number/);
    });
  });
});
