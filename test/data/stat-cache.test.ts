/** The stat cache's file: appended during a snapshot, read back after a torn write, compacted so it never outgrows its files. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDataset } from '../../activities/data';
import { StatCache } from '../../activities/data/stat-cache';
import { FilesystemBlobStore } from '../../activities/storage';
import { datasetFolder, tempDir, writeTree } from './helpers';

const SOURCE = '/data/source';
const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** The one cache file under `dir`, and its lines. */
function cacheLines(dir: string): string[] {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  assert.equal(files.length, 1, `one cache file: ${files.map((file) => file.name).join(', ')}`);
  const text = fs.readFileSync(path.join(files[0]!.parentPath, files[0]!.name), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

function cacheFile(dir: string): string {
  const file = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).find((entry) => entry.isFile())!;
  return path.join(file.parentPath, file.name);
}

describe('the stat cache file', function () {
  it('reads back the rows of every flush, the latest line for a path winning, and skips a torn last line', async function () {
    const dir = tempDir('stat-cache-');
    const cache = await StatCache.load(dir, 'churn', SOURCE);
    cache.set('a.csv', 's1', digestOf('a1'));
    cache.set('b.csv', 's1', digestOf('b1'));
    await cache.flush();
    cache.set('a.csv', 's2', digestOf('a2'));
    cache.set('c.csv', 's1', digestOf('c1'));
    await cache.flush();
    const before = cacheLines(dir).length;
    assert.ok(before >= 4, `appended, not rewritten: ${before} lines`);
    // a crash in the middle of the next append
    fs.appendFileSync(cacheFile(dir), `["d.csv","s1","${digestOf('d1').slice(0, 20)}`);

    const again = await StatCache.load(dir, 'churn', SOURCE);
    assert.equal(again.size, 3);
    assert.equal(again.lookup('a.csv', 's2'), digestOf('a2'), 'the later line for a.csv');
    assert.equal(again.lookup('a.csv', 's1'), undefined, 'the earlier stamp no longer matches');
    assert.equal(again.lookup('b.csv', 's1'), digestOf('b1'));
    assert.equal(again.lookup('c.csv', 's1'), digestOf('c1'));
    assert.equal(again.lookup('d.csv', 's1'), undefined, 'the torn row is not trusted');
  });

  it('compacts to one sorted line per file still present, and ignores a file of another source', async function () {
    const dir = tempDir('stat-cache-');
    const cache = await StatCache.load(dir, 'churn', SOURCE);
    for (const name of ['c.csv', 'a.csv', 'b.csv']) cache.set(name, 's1', digestOf(name));
    await cache.flush();
    cache.set('a.csv', 's2', digestOf('a2'));
    await cache.flush();
    await cache.compact();
    assert.deepEqual(
      cacheLines(dir)
        .slice(1)
        .map((line) => (JSON.parse(line) as string[])[0]),
      ['a.csv', 'b.csv', 'c.csv'],
    );

    const next = await StatCache.load(dir, 'churn', SOURCE);
    assert.equal(next.lookup('a.csv', 's2', 0), digestOf('a2'));
    assert.equal(next.lookup('c.csv', 's1', 1), digestOf('c.csv'), 'found a place off its position');
    next.retainSeen(); // b.csv was deleted
    await next.compact();
    assert.equal(cacheLines(dir).length, 3, 'the header and two rows');

    const other = await StatCache.load(dir, 'churn', '/data/elsewhere');
    assert.equal(other.size, 0);
  });

  it('stays one line per file across many snapshots that each change a file', async function () {
    const source = datasetFolder(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, `v0 ${i}`])));
    const store = new FilesystemBlobStore(tempDir('stat-cache-store-'));
    const cacheDir = tempDir('cache-');
    const ids = new Set([(await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir })).id]);
    for (let round = 1; round <= 6; round++) {
      writeTree(source, { [`f${round}.txt`]: `v${round}` });
      if (round === 4) fs.rmSync(path.join(source, 'f20.txt'));
      const result = await snapshotDataset(store, { dataset: 'churn', source }, { cacheDir });
      ids.add(result.id);
      assert.equal(result.cachedDigests, result.fileCount - 1, `round ${round}: only the changed file is hashed`);
      assert.equal(cacheLines(cacheDir).length, result.fileCount + 1, `round ${round}: header and one line per file`);
    }
    assert.equal(ids.size, 7);
  });
});
