/**
 * Store keys that could escape the store: every method of both backends refuses each with an
 * `InvalidKeyError` naming the key, reads no body, and writes nothing, inside the store or beside it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { exitFor } from '../../client/exit-codes';
import { InvalidKeyError } from '../../common/failures';
import { testStack } from '../support/stack';
import { testS3Store } from '../support/worker';
import { filesUnder } from './support';

const BAD_KEYS: { what: string; key: string }[] = [
  { what: 'a parent segment', key: '../escape' },
  { what: 'a parent segment past the root', key: 'a/../../escape' },
  { what: 'a lone ..', key: '..' },
  { what: 'a . segment', key: './a' },
  { what: 'an absolute path', key: '/etc/passwd' },
  { what: 'a drive letter', key: 'C:\\Windows\\win.ini' },
  { what: 'an empty segment', key: 'a//b' },
  { what: 'a trailing slash', key: 'a/' },
  { what: 'an empty key', key: '' },
  { what: 'a backslash', key: 'a\\b' },
  { what: 'a backslash traversal', key: '..\\escape' },
  { what: 'a NUL byte', key: 'a\0.txt' },
  { what: 'a line break', key: 'a\nb' },
  { what: 'a key over 1024 bytes', key: 'k/'.repeat(600) + 'x' },
];

const BAD_PREFIXES = ['../', '/a', 'a//b', 'a\\b', 'a/../b', 'a\0'];

interface Backend {
  name: string;
  /** A store whose root has a sibling: `everything()` lists the files of both. */
  make(): { store: BlobStore; everything(): Promise<string[]> };
}

const backends: Backend[] = [
  {
    name: 'the filesystem store',
    make() {
      const parent = fs.mkdtempSync(path.join(testStack().tmpDir, 'bad-keys-'));
      const root = path.join(parent, 'root');
      fs.mkdirSync(root);
      return { store: new FilesystemBlobStore(root), everything: () => Promise.resolve(filesUnder(parent)) };
    },
  },
  {
    name: 'the S3 store',
    make() {
      const parent = `bad-keys-${randomUUID().slice(0, 8)}`;
      const above = testS3Store(parent);
      return {
        store: testS3Store(`${parent}/root`),
        async everything() {
          const keys: string[] = [];
          for await (const info of above.list('')) keys.push(info.key);
          return keys.sort();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`bad input: store keys on ${backend.name}`, function () {
    let store: BlobStore;
    let everything: () => Promise<string[]>;
    let before_: string[];

    before(async () => {
      ({ store, everything } = backend.make());
      await store.put('kept/sentinel', Buffer.from('here before'));
      before_ = await everything();
      assert.ok(
        before_.some((k) => k.endsWith('kept/sentinel')),
        JSON.stringify(before_),
      );
    });

    for (const { what, key } of BAD_KEYS) {
      it(`refuses ${what} in every method, naming the key, and writes nothing`, async () => {
        const named = (method: string) => (err: unknown) => {
          assert.ok(err instanceof InvalidKeyError, `${method}: ${String(err)}`);
          assert.ok(err.message.startsWith(`invalid store key ${JSON.stringify(key)}: `), err.message);
          assert.equal(exitFor(err).code, 2, 'the CLI exits 2 on it, as on any bad input');
          return true;
        };
        const body = Readable.from(['must not be read']);
        await assert.rejects(store.get(key), named('get'));
        await assert.rejects(store.getBytes(key), named('getBytes'));
        await assert.rejects(store.head(key), named('head'));
        await assert.rejects(store.put(key, body), named('put'));
        await assert.rejects(store.put(key, Buffer.from('x')), named('put of bytes'));
        await assert.rejects(store.putIfAbsent(key, body), named('putIfAbsent'));
        await assert.rejects(store.compareAndSwap(key, null, body), named('compareAndSwap'));
        await assert.rejects(store.delete(key), named('delete'));
        assert.equal(body.readableDidRead, false, 'the body was read');
        assert.deepEqual(await everything(), before_);
      });
    }

    it('refuses list prefixes that could escape, and still lists the store', async () => {
      for (const prefix of BAD_PREFIXES) {
        await assert.rejects(
          async () => {
            for await (const info of store.list(prefix)) assert.fail(`listed ${info.key}`);
          },
          InvalidKeyError,
          `list ${JSON.stringify(prefix)}`,
        );
      }
      const keys: string[] = [];
      for await (const info of store.list('')) keys.push(info.key);
      assert.deepEqual(keys, ['kept/sentinel']);
    });
  });
}
