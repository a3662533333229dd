import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { batchBody, CaptureWriter, WHOLE_BATCH_BYTES } from '../../gateway/capture';
import { GatewayMetrics } from '../../gateway/metrics';
import { readNdjson } from './harness';

describe('capture batches in the store', () => {
  let root: string;
  let store: BlobStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-capture-batches-'));
    store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** `count` records of about `size` bytes each, numbered in order. */
  const records = (count: number, size: number) =>
    Array.from({ length: count }, (_, i) => ({ requestId: `r-${i}`, pad: 'x'.repeat(size) }));

  for (const [what, count, size] of [
    ['a small batch (one buffer)', 100, 500],
    ['a batch larger than one buffer may be (streamed in chunks)', 300, 5000],
  ] as const) {
    it(`writes every record of ${what} into one object, in order`, async () => {
      const metrics = new GatewayMetrics();
      const writer = new CaptureWriter({ store, metrics });
      const sent = records(count, size);
      assert.equal(writer.add('churn', 'capture', sent, { maxBatch: count, flushSeconds: 60 }), count);
      await writer.close();
      const objects: string[] = [];
      for await (const o of store.list('endpoints/churn/capture/')) objects.push(o.key);
      assert.equal(objects.length, 1);
      assert.deepEqual(await readNdjson(store, 'endpoints/churn/capture/'), sent);
      assert.ok(
        metrics
          .prometheus()
          .includes(`mlops_gateway_capture_records_total{endpoint="churn",kind="capture"} ${count}\n`),
      );
      assert.equal(writer.buffered, 0);
    });
  }

  it('streams a large batch in several pieces, none split inside a line', async () => {
    const lines = records(400, 5000).map((r) => Buffer.from(JSON.stringify(r) + '\n'));
    const bytes = lines.reduce((sum, l) => sum + l.length, 0);
    assert.ok(bytes > WHOLE_BATCH_BYTES);
    const body = batchBody({ lines, bytes });
    assert.ok(body instanceof Readable);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    assert.ok(chunks.length > 1);
    assert.ok(chunks.length < lines.length / 2, `${chunks.length} pieces for ${lines.length} lines`);
    for (const chunk of chunks) assert.equal(chunk[chunk.length - 1], 0x0a, 'a piece ends with a whole line');
    assert.ok(Buffer.concat(chunks).equals(Buffer.concat(lines)));
  });
});
