/** Local folders as snapshot sources: byte-ordered scans, and re-reads that refuse changed files. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LocalSource } from '../../activities/data/local-source';
import { datasetFolder } from './helpers';

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('local folder sources', function () {
  it('list every file with its relative path, in UTF-8 byte order', async function () {
    const dir = datasetFolder({ 'a/b': '1', 'a-b': '2', a0: '3', 'deep/er/x.csv': '4' });
    const source = await LocalSource.open(dir);
    assert.deepEqual(
      (await source.scan()).map((entry) => entry.path),
      ['a-b', 'a/b', 'a0', 'deep/er/x.csv'],
    );
  });

  it('re-read a file only if it still has the bytes that were hashed', async function () {
    const dir = datasetFolder({ 'data.bin': 'original' });
    const source = await LocalSource.open(dir);
    try {
      const [entry] = await source.scan();
      const hashed = await source.hash(entry!, { keepBytes: 0, inline: false });
      assert.deepEqual(await source.hash(entry!, { keepBytes: 0, inline: true }), hashed, 'threads and inline agree');
      assert.equal(hashed.stamp, entry!.stamp, 'hashing and scanning stamp alike');
      assert.equal(hashed.stable, true, 'an hour-old file is stable');
      assert.equal((await drain(await source.read(entry!, hashed))).toString(), 'original');

      fs.writeFileSync(path.join(dir, 'data.bin'), 'modified');
      await assert.rejects(drain(await source.read(entry!, hashed)), /data\.bin in .* changed during the snapshot/);
      await assert.rejects(
        drain(await source.read(entry!, { ...hashed, stable: false })),
        /data\.bin in .* changed during the snapshot/,
        'a file that is not stable is checked by digest',
      );
    } finally {
      await source.close();
    }
  });
});
