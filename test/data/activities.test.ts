/** The data activities in a mock activity context: heartbeats, resume from heartbeat details, failures, cancellation. */
import assert from 'node:assert/strict';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDataActivities, datasetKeys, type SnapshotHeartbeat } from '../../activities/data';
import type { BlobStore } from '../../activities/storage/types';
import { testDeps } from '../support/worker';
import { bytesOf, datasetFolder, keysUnder, tempDir } from './helpers';
import { silentLogger as quiet } from '../support/loggers';

const FILES = 24;

/** A mock activity context (quiet: expected failures are not logged). */
function mockEnv(info?: Partial<Info>): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: quiet });
}

/** Runs a one-argument activity in `env`, keeping its types. */
function run<A, R>(env: MockActivityEnvironment, fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return env.run(fn, arg) as Promise<R>;
}

function folder(): string {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < FILES; i++) files[`shard-${String(i).padStart(2, '0')}.bin`] = bytesOf(10_000, 500 + i);
  return datasetFolder(files);
}

/**
 * `inner` with puts of blobs (one by one, or into its write batches) failing after `okPuts`
 * successes and/or delayed by `delayMs`; `blobHeads` counts the requests about blobs.
 */
function flakyStore(
  inner: BlobStore,
  options: { okPuts?: number; delayMs?: number },
): BlobStore & { blobHeads: number } {
  let puts = 0;
  const wrapper = Object.create(inner) as BlobStore & { blobHeads: number };
  wrapper.blobHeads = 0;
  const flaky = async (key: string) => {
    if (!key.includes('/blobs/')) return;
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.okPuts !== undefined && ++puts > options.okPuts) throw new Error('store outage');
  };
  wrapper.putIfAbsent = async (key, body, opts) => {
    await flaky(key);
    return inner.putIfAbsent(key, body, opts);
  };
  wrapper.head = async (key) => {
    if (key.includes('/blobs/')) wrapper.blobHeads++;
    return inner.head(key);
  };
  if (inner.openBatch) {
    wrapper.openBatch = () => {
      const batch = inner.openBatch!();
      return Object.assign(Object.create(batch) as typeof batch, {
        putIfAbsent: async (...args: Parameters<typeof batch.putIfAbsent>) => {
          wrapper.blobHeads++;
          await flaky(args[0]);
          return batch.putIfAbsent(...args);
        },
      });
    };
  }
  return wrapper;
}

describe('data activities', function () {
  it('heartbeat progress with a resume point, and a retry resumes from the heartbeat details', async function () {
    const deps = testDeps();
    const source = folder();
    const failing = createDataActivities({ ...deps, store: flakyStore(deps.store, { okPuts: 8 }) });
    const first = mockEnv();
    const beats: SnapshotHeartbeat[] = [];
    first.on('heartbeat', (beat: SnapshotHeartbeat) => beats.push(beat));
    await assert.rejects(run(first, failing.snapshotDataset, { dataset: 'shards', source }), /store outage/);
    const last = beats.at(-1)!;
    assert.ok(beats.some((beat) => beat.phase === 'scanning'));
    assert.equal(last.filesTotal, FILES);
    assert.equal(last.resume.storedDigests.length, 8, 'the last heartbeat lists the 8 bodies stored');

    const store = flakyStore(deps.store, {});
    const retry = mockEnv({ heartbeatDetails: last, attempt: 2 });
    const result = await run(retry, createDataActivities({ ...deps, store }).snapshotDataset, {
      dataset: 'shards',
      source,
    });
    assert.equal(result.uploadedFiles, FILES - 8);
    assert.equal(store.blobHeads, FILES - 8, 'no store request about the bodies the first attempt stored');
    // The first attempt had hashed the files in flight when it failed; the stat cache it flushed has them.
    assert.ok(result.cachedDigests >= 8, `${result.cachedDigests} digests from the stat cache`);
    assert.equal((await keysUnder(deps.store, datasetKeys.blobs('shards'))).length, FILES);
  });

  it('stop a snapshot when the activity is cancelled', async function () {
    const deps = testDeps();
    const slow = createDataActivities({ ...deps, store: flakyStore(deps.store, { delayMs: 100 }) });
    const env = mockEnv();
    const started = Date.now();
    setTimeout(() => env.cancel(), 150);
    await assert.rejects(run(env, slow.snapshotDataset, { dataset: 'shards', source: folder() }), CancelledFailure);
    assert.ok(Date.now() - started < 2000, 'stopped well before all files were stored');
    assert.deepEqual(await keysUnder(deps.store, datasetKeys.snapshots('shards')), []);
  });

  it('fail with non-retryable ApplicationFailures of stable types', async function () {
    const deps = testDeps();
    const activities = createDataActivities(deps);
    const env = mockEnv();
    const snapshot = await run(env, activities.snapshotDataset, {
      dataset: 'churn',
      source: datasetFolder({ 'train.csv': 'id,tenure\n1,5\n2,\n' }),
    });

    const notFound = await env
      .run(activities.diffSnapshots, { dataset: 'churn', a: 'ffffff', b: 'latest' })
      .catch((e: unknown) => e);
    assert.ok(notFound instanceof ApplicationFailure);
    assert.equal(notFound.type, 'SnapshotNotFound');
    assert.equal(notFound.nonRetryable, true);
    assert.match(notFound.message, /dataset churn has no snapshot whose id starts with ffffff/);

    const invalid = await env
      .run(activities.validateDataset, {
        dataset: 'churn',
        id: snapshot.id,
        expectations: { minRows: 3, maxNullRate: { tenure: 0 } },
      })
      .catch((e: unknown) => e);
    assert.ok(invalid instanceof ApplicationFailure);
    assert.equal(invalid.type, 'DatasetValidationFailed');
    assert.equal(invalid.nonRetryable, true);
    assert.match(invalid.message, /minRows .*maxNullRate\.tenure/);
    const [details] = invalid.details as [{ reportKey: string; failed: { expectation: string }[] }];
    assert.deepEqual(
      details.failed.map((f) => f.expectation),
      ['minRows', 'maxNullRate.tenure'],
    );
    assert.ok(await deps.store.head(details.reportKey));

    const restored = await run(env, activities.materializeSnapshot, {
      dataset: 'churn',
      id: 'latest',
      dir: tempDir('out-'),
    });
    assert.equal(restored.restoredFiles, 1);
  });
});
