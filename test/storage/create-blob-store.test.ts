/** `createBlobStore` turns a parsed MLOPS_STORE URI into the right backend, rooted where it says. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseStoreUri } from '../../lib/config/schema';
import { createBlobStore, FilesystemBlobStore, S3BlobStore } from '../../activities/storage';
import { testStack } from '../support/stack';

describe('createBlobStore', function () {
  it('makes a filesystem store for file:// URIs, rooted at the path', async function () {
    const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-create-store-'));
    try {
      const config = parseStoreUri('file://store', cwd, { region: 'us-east-1' });
      assert.ok(typeof config !== 'string');
      const store = createBlobStore(config);
      assert.ok(store instanceof FilesystemBlobStore);
      assert.equal(store.uri, `file://${path.join(cwd, 'store')}`);
      await store.put('a/b.txt', 'x');
      assert.equal(await fs.readFile(path.join(cwd, 'store', 'a', 'b.txt'), 'utf8'), 'x');
    } finally {
      await fs.rm(cwd, { recursive: true, force: true });
    }
  });

  it('makes an S3 store for s3:// URIs, with keys under the prefix', async function () {
    const { endpoint, bucket, accessKeyId, secretAccessKey } = testStack().minio;
    const config = parseStoreUri(`s3://${bucket}/created/by-config`, process.cwd(), {
      endpoint,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
    });
    assert.ok(typeof config !== 'string');
    const store = createBlobStore(config);
    assert.ok(store instanceof S3BlobStore);
    try {
      assert.equal(store.uri, `s3://${bucket}/created/by-config`);
      await store.put('a/b.txt', 'x');
      const whole = new S3BlobStore({ client: store.client, bucket });
      assert.equal((await whole.getBytes('created/by-config/a/b.txt')).toString(), 'x');
      assert.deepEqual((await whole.head('created/by-config/a/b.txt'))?.etag, (await store.head('a/b.txt'))?.etag);
    } finally {
      store.destroy();
    }
  });
});
