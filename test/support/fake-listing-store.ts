/** A fake store: a real one whose listing also names objects at keys a real store would refuse (`a/../../x`). */
import { Readable } from 'node:stream';
import type { BlobStore, ObjectInfo } from '../../activities/storage/types';

/** `inner`, with `extra` objects added to every listing under their prefix; reading one gives `body`. */
export function fakeListingStore(inner: BlobStore, extra: { key: string; body: string }[]): BlobStore {
  const store = Object.create(inner) as BlobStore;
  store.list = async function* (prefix: string): AsyncIterable<ObjectInfo> {
    yield* inner.list(prefix);
    for (const e of extra)
      if (e.key.startsWith(prefix)) yield { key: e.key, size: Buffer.byteLength(e.body) } as ObjectInfo;
  };
  const get = inner.get.bind(inner);
  store.get = (async (key: string) => {
    const hit = extra.find((e) => e.key === key);
    if (!hit) return get(key);
    return Readable.from([Buffer.from(hit.body)]);
  }) as BlobStore['get'];
  return store;
}
