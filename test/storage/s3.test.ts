/** What only the S3 store has to get right, against the run's MinIO: multipart hygiene and key prefixes. */
import assert from 'node:assert/strict';
import { GetObjectTaggingCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { S3BlobStore } from '../../activities/storage/s3';
import { testStack } from '../support/stack';
import { listAll, MiB } from './helpers';

describe('S3BlobStore', function () {
  let client: S3Client;
  let bucket: string;

  before(function () {
    const minio = testStack().minio;
    bucket = minio.bucket;
    client = new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    });
  });

  after(function () {
    client.destroy();
  });

  it('aborts its multipart upload when the body fails after some parts went up', async function () {
    const prefix = `s3-store/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket, prefix });
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 20; i++) yield Buffer.alloc(MiB, i);
        throw new Error('source failed');
      })(),
      { objectMode: false },
    );
    await assert.rejects(store.put('big.bin', body), /source failed/);
    // MinIO lists multipart uploads of one exact key only, hence the full key as the prefix.
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/big.bin` }));
    assert.deepEqual(uploads.Uploads ?? [], []);
    assert.equal(await store.head('big.bin'), undefined);
  });

  it('writes object tags with the object, single-part and multipart (for lifecycle rules)', async function () {
    this.timeout(30_000);
    const prefix = `s3-store/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket, prefix, partSize: 5 * MiB });
    const tags = { 'mlops-data': 'capture', note: 'a b+c/d:e' };
    await store.put('small.ndjson', '{}\n', { tags });
    await store.put('big.bin', Buffer.alloc(11 * MiB, 1), { tags });
    await store.put('plain.txt', 'x');
    const tagsOf = async (key: string) =>
      Object.fromEntries(
        (
          (await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: `${prefix}/${key}` }))).TagSet ?? []
        ).map((t) => [t.Key, t.Value]),
      );
    assert.deepEqual(await tagsOf('small.ndjson'), tags);
    assert.deepEqual(await tagsOf('big.bin'), tags);
    assert.deepEqual(await tagsOf('plain.txt'), {});
  });

  it('fails a request to a store that accepts connections and never answers, instead of hanging', async function () {
    this.timeout(20_000);
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const store = new S3BlobStore({
      bucket: 'b',
      clientConfig: {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 2,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      },
      timeouts: { idleMs: 300 },
    });
    try {
      const started = Date.now();
      await assert.rejects(store.head('k'), /timed out|timeout|socket hang up|ECONNRESET/i);
      assert.ok(Date.now() - started < 10_000, `failed after ${Date.now() - started} ms`);
      assert.equal(sockets.length, 2, 'the SDK retried once on a new connection');
    } finally {
      store.destroy();
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('keeps keys relative to its prefix and never lists a sibling prefix', async function () {
    const root = `s3-store/${randomUUID()}`;
    const store = new S3BlobStore({ client, bucket, prefix: `${root}/a` });
    const sibling = new S3BlobStore({ client, bucket, prefix: `${root}/ab` });
    await store.put('k', '1');
    await sibling.put('k', '2');
    assert.deepEqual(
      (await listAll(store, '')).map((info) => info.key),
      ['k'],
    );
    assert.equal(store.uri, `s3://${bucket}/${root}/a`);
  });
});
