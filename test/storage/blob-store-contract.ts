/**
 * The one behaviour every `BlobStore` backend must show. `makeStore` returns a fresh, empty store
 * (its own folder or prefix) that lists in pages of a few keys, so pagination is exercised.
 * Keys that could escape a store are in the bad-input corpus (test/bad-input/store.test.ts).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../common/failures';
import type { BlobStore } from '../../activities/storage/types';
import { incrementCounter, listAll, MiB, pseudoRandomBody, RssSampler, sha256Of } from './helpers';

const WRITERS = 20;
const ROUNDS = 5;
const INCREMENTS_PER_WRITER = 5;
const LARGE_OBJECT_BYTES = 200 * MiB;
/** Above the S3 store's default part size (8 MiB), so conditional writes go through multipart. */
const LARGE_CONDITIONAL_BYTES = 9 * MiB;

/** A body stream that yields `bytes` bytes, then fails. */
function failingBody(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(bytes, 7);
      throw new Error('source failed');
    })(),
    { objectMode: false },
  );
}

/** Registers the contract suite for one backend. */
export function blobStoreContract(
  name: string,
  makeStore: () => Promise<BlobStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`BlobStore contract: ${name}`, function () {
    let store: BlobStore;

    beforeEach(async function () {
      store = await makeStore();
    });

    if (cleanup) after(cleanup);

    it('round-trips bytes and reports size and etag', async function () {
      const before = Date.now() - 5_000;
      const { etag } = await store.put('models/churn/card.md', Buffer.from('# churn model\n'));
      assert.ok(etag.length > 0);
      assert.equal((await store.getBytes('models/churn/card.md')).toString(), '# churn model\n');
      assert.equal(
        await sha256Of(await store.get('models/churn/card.md')),
        await sha256Of(Readable.from(['# churn model\n'])),
      );
      const info = await store.head('models/churn/card.md');
      assert.ok(info);
      assert.deepEqual(
        { key: info.key, size: info.size, etag: info.etag },
        { key: 'models/churn/card.md', size: 14, etag },
      );
      assert.ok(info.lastModified.getTime() > before && info.lastModified.getTime() < Date.now() + 5_000);
    });

    it('accepts strings, byte arrays and streams as bodies, including empty ones', async function () {
      await store.put('bodies/string', 'héllo');
      await store.put('bodies/bytes', new Uint8Array([1, 2, 3]), { contentType: 'application/octet-stream' });
      await store.put('bodies/stream', Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]));
      await store.put('bodies/empty', '');
      assert.equal((await store.getBytes('bodies/string')).toString(), 'héllo');
      assert.deepEqual([...(await store.getBytes('bodies/bytes'))], [1, 2, 3]);
      assert.equal((await store.getBytes('bodies/stream')).toString(), 'chunk-1 chunk-2');
      assert.equal((await store.getBytes('bodies/empty')).length, 0);
      assert.equal((await store.head('bodies/empty'))?.size, 0);
      assert.equal((await store.head('bodies/string'))?.size, 6);
    });

    it('replaces the body on put and changes the etag', async function () {
      const first = await store.put('refs/latest', 'v1');
      const second = await store.put('refs/latest', 'v2');
      assert.notEqual(first.etag, second.etag);
      assert.equal((await store.getBytes('refs/latest')).toString(), 'v2');
      assert.equal((await store.head('refs/latest'))?.etag, second.etag);
    });

    it('keeps the previous body when a new body fails midway, small or after several parts', async function () {
      await store.put('models/m/model.bin', 'original');
      for (const bytes of [1024, 20 * MiB]) {
        await assert.rejects(store.put('models/m/model.bin', failingBody(bytes)), /source failed/);
        await assert.rejects(store.put('models/m/other.bin', failingBody(bytes)), /source failed/);
      }
      assert.equal((await store.getBytes('models/m/model.bin')).toString(), 'original');
      assert.deepEqual(
        (await listAll(store, '')).map((info) => info.key),
        ['models/m/model.bin'],
      );
    });

    it('reports an absent key as NotFoundError from get and getBytes, and undefined from head', async function () {
      await assert.rejects(store.get('nothing/here'), NotFoundError);
      await assert.rejects(store.getBytes('nothing/here'), NotFoundError);
      assert.equal(await store.head('nothing/here'), undefined);
      await store.put('nothing/else', 'x');
      await assert.rejects(store.getBytes('nothing'), NotFoundError); // a prefix is not an object
      assert.equal(await store.head('nothing'), undefined);
    });

    it('deletes objects, and deleting an absent key is not an error', async function () {
      await store.put('tmp/a', 'a');
      await store.delete('tmp/a');
      assert.equal(await store.head('tmp/a'), undefined);
      await assert.rejects(store.getBytes('tmp/a'), NotFoundError);
      await store.delete('tmp/a');
      await store.delete('never/existed');
      assert.deepEqual(await listAll(store, ''), []);
    });

    it('lists keys under a prefix in key order, across several pages', async function () {
      const keys = Array.from({ length: 20 }, (_, i) => `data/part-${String(i).padStart(2, '0')}.csv`);
      const others = ['m/a-b', 'm/a.txt', 'm/a/x', 'm/ab', 'data-other', 'z'];
      await Promise.all([...keys, ...others].map((key, i) => store.put(key, `body ${i}`)));

      const listed = await listAll(store, 'data/');
      assert.deepEqual(
        listed.map((info) => info.key),
        keys,
      );
      for (const info of listed) {
        const head = await store.head(info.key);
        assert.deepEqual({ size: info.size, etag: info.etag }, { size: head?.size, etag: head?.etag });
      }
      // S3 order is byte order of whole keys: '-' < '.' < '/' < 'b'.
      assert.deepEqual(
        (await listAll(store, 'm/')).map((info) => info.key),
        ['m/a-b', 'm/a.txt', 'm/a/x', 'm/ab'],
      );
      assert.deepEqual(
        (await listAll(store, 'data/part-1')).map((info) => info.key),
        keys.slice(10),
      );
      assert.deepEqual(
        (await listAll(store, 'data')).map((info) => info.key),
        ['data-other', ...keys], // '-' sorts before '/'
      );
      assert.equal((await listAll(store, '')).length, keys.length + others.length);
      assert.deepEqual(await listAll(store, 'absent/'), []);

      const firstThree: string[] = [];
      for await (const info of store.list('data/')) {
        firstThree.push(info.key);
        if (firstThree.length === 3) break;
      }
      assert.deepEqual(firstThree, keys.slice(0, 3));
    });

    it('creates with putIfAbsent only when the key is absent', async function () {
      const first = await store.putIfAbsent('datasets/d/blobs/abc', 'content');
      assert.equal(first.created, true);
      const second = await store.putIfAbsent('datasets/d/blobs/abc', 'other content');
      assert.deepEqual(second, { created: false, etag: first.etag });
      const streamed = await store.putIfAbsent('datasets/d/blobs/abc', Readable.from(['streamed']));
      assert.deepEqual(streamed, { created: false, etag: first.etag });
      assert.equal((await store.getBytes('datasets/d/blobs/abc')).toString(), 'content');
    });

    it(`lets exactly one of ${WRITERS} concurrent putIfAbsent calls create the object`, async function () {
      const results = await Promise.all(
        Array.from({ length: WRITERS }, (_, w) => store.putIfAbsent('snapshots/s1.json', `writer ${w}`)),
      );
      const winners = results.flatMap((result, w) => (result.created ? [w] : []));
      assert.equal(winners.length, 1);
      const etag = (await store.head('snapshots/s1.json'))?.etag;
      assert.ok(results.every((result) => result.etag === etag));
      assert.equal((await store.getBytes('snapshots/s1.json')).toString(), `writer ${winners[0]}`);
    });

    it('swaps only when the expected etag still matches', async function () {
      const created = await store.compareAndSwap('models/m/aliases.json', null, '{"champion":1}');
      assert.ok(created.swapped);
      assert.deepEqual(await store.compareAndSwap('models/m/aliases.json', null, '{}'), {
        swapped: false,
        currentEtag: created.etag,
      });
      assert.deepEqual(await store.compareAndSwap('models/m/aliases.json', 'not-the-etag', '{}'), {
        swapped: false,
        currentEtag: created.etag,
      });
      const swapped = await store.compareAndSwap('models/m/aliases.json', created.etag, '{"champion":2}');
      assert.ok(swapped.swapped);
      assert.equal((await store.head('models/m/aliases.json'))?.etag, swapped.etag);
      assert.equal((await store.getBytes('models/m/aliases.json')).toString(), '{"champion":2}');
      assert.deepEqual(await store.compareAndSwap('models/m/aliases.json', created.etag, '{}'), {
        swapped: false,
        currentEtag: swapped.etag,
      });
      await store.delete('models/m/aliases.json');
      assert.deepEqual(await store.compareAndSwap('models/m/aliases.json', swapped.etag, '{}'), {
        swapped: false,
        currentEtag: null,
      });
      assert.equal(await store.head('models/m/aliases.json'), undefined);
    });

    it('applies conditions to streamed bodies large enough to go up in parts', async function () {
      const large = () => pseudoRandomBody(LARGE_CONDITIONAL_BYTES, 'conditional').stream;
      const created = await store.putIfAbsent('models/m/versions/1/model.bin', large());
      assert.ok(created.created);
      assert.deepEqual(await store.putIfAbsent('models/m/versions/1/model.bin', large()), {
        created: false,
        etag: created.etag,
      });
      assert.deepEqual(await store.compareAndSwap('models/m/versions/1/model.bin', 'stale', large()), {
        swapped: false,
        currentEtag: created.etag,
      });
      const swapped = await store.compareAndSwap('models/m/versions/1/model.bin', created.etag, large());
      assert.ok(swapped.swapped);
      assert.equal((await store.head('models/m/versions/1/model.bin'))?.size, LARGE_CONDITIONAL_BYTES);
    });

    it(`lets exactly one of ${WRITERS} concurrent writers win each compare-and-swap round`, async function () {
      let etag = (await store.put('race/value', 'round 0')).etag;
      for (let round = 1; round <= ROUNDS; round++) {
        const expected = etag;
        const results = await Promise.all(
          Array.from({ length: WRITERS }, (_, w) =>
            store.compareAndSwap('race/value', expected, `round ${round} writer ${w}`),
          ),
        );
        const winners = results.flatMap((result, w) => (result.swapped ? [{ w, etag: result.etag }] : []));
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        const winner = winners[0]!;
        for (const result of results) {
          if (!result.swapped) assert.equal(result.currentEtag, winner.etag);
        }
        assert.equal((await store.getBytes('race/value')).toString(), `round ${round} writer ${winner.w}`);
        etag = winner.etag;
      }
    });

    it(`loses no update when ${WRITERS} writers each increment a counter ${INCREMENTS_PER_WRITER} times`, async function () {
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let i = 0; i < INCREMENTS_PER_WRITER; i++) await incrementCounter(store, 'counters/c');
        }),
      );
      assert.equal((await store.getBytes('counters/c')).toString(), String(WRITERS * INCREMENTS_PER_WRITER));
    });

    it('streams a 200 MB object both ways while memory stays far below its size', async function () {
      this.timeout(120_000);
      const body = pseudoRandomBody(LARGE_OBJECT_BYTES, `${name} large object`);
      const rss = new RssSampler();
      const { etag } = await store.put('artifacts/large.bin', body.stream);
      const info = await store.head('artifacts/large.bin');
      const readDigest = await sha256Of(await store.get('artifacts/large.bin'));
      const growth = rss.stop();
      assert.deepEqual({ size: info?.size, etag: info?.etag }, { size: LARGE_OBJECT_BYTES, etag });
      assert.equal(readDigest, body.digest());
      assert.ok(growth < 100 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
      await store.delete('artifacts/large.bin');
    });
  });
}
