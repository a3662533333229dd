/**
 * The A/B outcome counts: captured requests joined with feedback labels, read from the NDJSON
 * batches the gateway writes (test/gateway covers the writing), in a filesystem store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countAbTestOutcomes, isSuccess } from '../../activities/abtest';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { abTestSettingsSchema } from '../../common/schemas/abtest';
import { captureKey } from '../../gateway/capture';

describe('A/B test outcomes', () => {
  let root: string;
  let store: BlobStore;
  const since = '2026-03-01T10:30:00.000Z';
  const input = {
    endpoint: 'shop',
    controlVariant: 'm-v1',
    treatmentVariant: 'm-v2',
    since,
    metric: 'accuracy' as const,
  };
  const capture = (
    requestId: string,
    variant: string,
    prediction: number,
    time = '2026-03-01T10:31:00.000Z',
    status = 200,
  ) => ({
    requestId,
    time,
    endpoint: 'shop',
    variant,
    modelVersion: variant.slice(-1),
    inputs: [],
    outputs: [{ name: 'predict', datatype: 'INT64', shape: [1, 1], data: [prediction] }],
    latencyMs: 3,
    status,
  });
  const put = (kind: 'capture' | 'feedback', at: string, records: object[]) =>
    store.put(captureKey('shop', kind, new Date(at)), records.map((r) => JSON.stringify(r)).join('\n') + '\n');

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-ab-'));
    store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('counts each arm’s labelled requests and correct predictions, joined by request id', async () => {
    await put('capture', '2026-03-01T10:31:00Z', [
      capture('a1', 'm-v1', 1),
      capture('a2', 'm-v1', 0),
      capture('a3', 'm-v1', 1),
      capture('b1', 'm-v2', 1),
      capture('b2', 'm-v2', 0),
      capture('x1', 'other-v9', 1), // another variant of the endpoint: not in the test
    ]);
    // labels arrive later, in another hour folder, some for requests never captured
    await put('feedback', '2026-03-01T11:05:00Z', [
      { requestId: 'a1', label: 1 },
      { requestId: 'a2', label: 1 },
      { requestId: 'b1', label: 1 },
      { requestId: 'b2', label: 0 },
      { requestId: 'x1', label: 1 },
      { requestId: 'nobody', label: 0 },
    ]);
    const counts = await countAbTestOutcomes(store, input);
    assert.deepEqual(counts.control, { captured: 3, trials: 2, successes: 1 });
    assert.deepEqual(counts.treatment, { captured: 2, trials: 2, successes: 2 });
    assert.equal(counts.unmatchedLabels, 2);
    assert.equal(counts.objects, 2);

    const conversions = await countAbTestOutcomes(store, { ...input, metric: 'conversion' });
    assert.deepEqual(conversions.control, { captured: 3, trials: 2, successes: 2 });
    assert.deepEqual(conversions.treatment, { captured: 2, trials: 2, successes: 1 });
  });

  it('leaves out requests from before the start, failed requests and unreadable lines', async () => {
    await put('capture', '2026-03-01T09:59:00Z', [capture('old', 'm-v1', 1, '2026-03-01T09:59:00.000Z')]);
    await put('capture', '2026-03-01T10:29:00Z', [capture('early', 'm-v2', 1, '2026-03-01T10:29:59.000Z')]);
    await put('capture', '2026-03-01T10:31:00Z', [
      capture('failed', 'm-v2', 1, undefined, 500),
      capture('ok', 'm-v2', 1),
    ]);
    await store.put(captureKey('shop', 'feedback', new Date('2026-03-01T10:40:00Z')), 'not json\n[1,2]\n\n');
    await put('feedback', '2026-03-01T10:41:00Z', [
      { requestId: 'old', label: 1 },
      { requestId: 'early', label: 1 },
      { requestId: 'failed', label: 1 },
      { requestId: 'ok', label: 1 },
    ]);
    const counts = await countAbTestOutcomes(store, input);
    assert.deepEqual(counts.control, { captured: 0, trials: 0, successes: 0 });
    assert.deepEqual(counts.treatment, { captured: 1, trials: 1, successes: 1 });
    assert.equal(counts.unmatchedLabels, 3);
  });

  it('takes the latest label when a request is labelled twice', async () => {
    await put('capture', '2026-03-01T10:31:00Z', [capture('a1', 'm-v1', 1)]);
    await put('feedback', '2026-03-01T10:32:00Z', [{ requestId: 'a1', label: 0 }]);
    await put('feedback', '2026-03-01T10:33:00Z', [{ requestId: 'a1', label: 1 }]);
    const counts = await countAbTestOutcomes(store, input);
    assert.deepEqual(counts.control, { captured: 1, trials: 1, successes: 1 });
  });

  it('matches labels as numbers or strings, and reads conversions from words', () => {
    assert.equal(isSuccess('accuracy', 1, '1'), true);
    assert.equal(isSuccess('accuracy', 'yes', 'yes'), true);
    assert.equal(isSuccess('accuracy', 0, 1), false);
    assert.equal(isSuccess('accuracy', undefined, 1), false);
    assert.equal(isSuccess('conversion', undefined, 'Converted'), true);
    assert.equal(isSuccess('conversion', undefined, 'no'), false);
    assert.equal(isSuccess('conversion', undefined, 0), false);
  });

  it('refuses settings without a horizon, or with a split out of range, naming the field', () => {
    const noHorizon = abTestSettingsSchema.safeParse({});
    assert.equal(noHorizon.success, false);
    assert.deepEqual(noHorizon.error?.issues[0]?.path, ['duration']);
    const split = abTestSettingsSchema.safeParse({ split: 100, duration: '1h' });
    assert.deepEqual(split.error?.issues[0]?.path, ['split']);
    const interval = abTestSettingsSchema.safeParse({ duration: '1m', analysisInterval: '5m' });
    assert.deepEqual(interval.error?.issues[0]?.path, ['analysisInterval']);
    const ok = abTestSettingsSchema.parse({ samplesPerArm: 500 });
    assert.equal(ok.method, 'sequential');
    assert.equal(ok.split, 50);
  });
});
