/** `ExperimentTracker` on the filesystem store and on MinIO: runs, trials, metric streams, logs, artifacts. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ExperimentTracker } from '../../activities/tracking';
import { RunNotFoundError, TrialNotFoundError } from '../../common/failures';
import type { BlobStore } from '../../activities/storage/types';
import { storeBackends } from '../registry/stores';

const PIPELINE = 'churn';
const RUN = 'retrain/churn/2026-11-27T05:42:28.992Z';

for (const backend of storeBackends()) {
  describe(`experiment tracker (${backend.name})`, function () {
    let store: BlobStore;
    let tracker: ExperimentTracker;

    beforeEach(async function () {
      store = await backend.make();
      tracker = new ExperimentTracker(store);
      await tracker.startRun({ pipeline: PIPELINE, run: RUN, params: { sweep: 'grid' } });
    });
    after(() => backend.cleanup());

    it('lists trials by a final metric, best first, with a trial lacking the metric last', async function () {
      const finals: Record<string, number>[] = [{ auc: 0.81 }, {}, { auc: 0.86 }, { auc: 0.79, loss: 0.4 }];
      for (const [trial, metrics] of finals.entries()) {
        await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial, params: { max_depth: 3 + trial } });
        await tracker.finishTrial(PIPELINE, RUN, trial, { metrics, status: trial === 1 ? 'failed' : 'succeeded' });
      }
      const byAuc = await tracker.listTrials(PIPELINE, RUN, { sortBy: 'auc', order: 'desc' });
      assert.deepEqual(
        byAuc.map((t) => t.trial),
        [2, 0, 3, 1],
      );
      const ascending = await tracker.listTrials(PIPELINE, RUN, { sortBy: 'auc', order: 'asc', limit: 3 });
      assert.deepEqual(
        ascending.map((t) => t.trial),
        [3, 0, 2],
      );
      assert.deepEqual(
        (await tracker.listTrials(PIPELINE, RUN)).map((t) => t.trial),
        [0, 1, 2, 3],
      );
      assert.equal(byAuc[0]?.params.max_depth, 5);
      assert.equal(byAuc[3]?.status, 'failed');
    });

    it('keeps every metric point, in step order, when metrics are logged concurrently', async function () {
      await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 0, params: {} });
      // Ten writers (as if on ten workers), each logging every tenth step of two metrics.
      const writers = Array.from({ length: 10 }, (_, w) =>
        new ExperimentTracker(store).logMetrics(
          PIPELINE,
          RUN,
          0,
          [0, 1, 2, 3, 4].flatMap((i) => [
            { name: 'loss', step: i * 10 + w, value: 1 / (i * 10 + w + 1) },
            { name: 'auc', step: i * 10 + w, value: (i * 10 + w) / 100 },
          ]),
        ),
      );
      const chunks = await Promise.all(writers);
      assert.deepEqual(
        chunks.map((c) => c.seq).sort((a, b) => Number(a) - Number(b)),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      const loss = await tracker.readMetrics(PIPELINE, RUN, 0, 'loss');
      assert.deepEqual(
        loss.map((p) => p.step),
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.equal(loss[9]?.value, 1 / 10);
      assert.equal((await tracker.readMetrics(PIPELINE, RUN, 0)).length, 100);
    });

    it('reads a retried metrics batch once, and keeps NaN and infinite values', async function () {
      await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 1, params: {} });
      const points = [
        { name: 'loss', step: 1, value: 0.5 },
        { name: 'loss', step: 2, value: Number.NaN },
        { name: 'loss', step: 3, value: Number.POSITIVE_INFINITY },
      ];
      await tracker.logMetrics(PIPELINE, RUN, 1, points, { batchId: 'wf-run/activity-7' });
      await new ExperimentTracker(store).logMetrics(PIPELINE, RUN, 1, points, { batchId: 'wf-run/activity-7' });
      const read = await tracker.readMetrics(PIPELINE, RUN, 1);
      assert.deepEqual(
        read.map((p) => [p.step, p.value]),
        [
          [1, 0.5],
          [2, Number.NaN],
          [3, Number.POSITIVE_INFINITY],
        ],
      );
    });

    it('round-trips artifacts and logs, and lists artifacts on the trial', async function () {
      await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 2, params: {} });
      const model = Buffer.from([0, 1, 2, 250, 255]);
      const ref = await tracker.putArtifact(PIPELINE, RUN, 2, 'model/model.joblib', model);
      await tracker.putArtifact(PIPELINE, RUN, 2, 'confusion.json', Readable.from(['{"tp":', '3}']));
      assert.deepEqual(await tracker.getArtifact(PIPELINE, RUN, 2, 'model/model.joblib'), model);
      assert.equal((await tracker.getArtifact(PIPELINE, RUN, 2, 'confusion.json')).toString(), '{"tp":3}');
      assert.equal(ref.size, 5);
      assert.equal(ref.uri, `${store.uri}/${ref.key}`);
      assert.deepEqual(
        (await tracker.getTrial(PIPELINE, RUN, 2)).artifacts.map((a) => [a.name, a.size]),
        [
          ['confusion.json', 8],
          ['model/model.joblib', 5],
        ],
      );

      await tracker.logText(PIPELINE, RUN, 2, 'epoch 1: loss 0.52');
      await tracker.logText(PIPELINE, RUN, 2, 'epoch 2: loss 0.41\nepoch 3: loss 0.37\n');
      assert.equal(
        await tracker.readLogs(PIPELINE, RUN, 2),
        'epoch 1: loss 0.52\nepoch 2: loss 0.41\nepoch 3: loss 0.37\n',
      );
    });

    it('starts runs and trials once, lists runs newest first, and ends each once', async function () {
      const again = await tracker.startRun({ pipeline: PIPELINE, run: RUN, params: { sweep: 'random' } });
      assert.equal(again.params.sweep, 'grid', 'a started run is returned as stored');
      const later = 'retrain/churn/2026-11-28T05:00:00.000Z';
      await new Promise((resolve) => setTimeout(resolve, 5));
      await tracker.startRun({ pipeline: PIPELINE, run: later });
      assert.deepEqual(
        (await tracker.listRuns(PIPELINE)).map((r) => r.run),
        [later, RUN],
      );
      assert.deepEqual(await tracker.listRuns('fraud'), []);

      const trial = await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 0, params: { lr: 0.1 } });
      assert.deepEqual(await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 0, params: { lr: 9 } }), trial);
      const tagged = await tracker.setTags(PIPELINE, RUN, 0, { note: 'baseline' });
      assert.deepEqual(tagged.tags, { note: 'baseline' });
      const done = await tracker.finishTrial(PIPELINE, RUN, 0, { metrics: { auc: 0.8 }, status: 'succeeded' });
      const retried = await tracker.finishTrial(PIPELINE, RUN, 0, { metrics: { auc: 0.1 }, status: 'failed' });
      assert.deepEqual(retried, done);

      const ended = await tracker.finishRun(PIPELINE, RUN, 'succeeded');
      assert.equal(ended.status, 'succeeded');
      assert.equal((await tracker.finishRun(PIPELINE, RUN, 'failed')).endedAt, ended.endedAt);
      assert.equal((await tracker.getRun(PIPELINE, RUN)).run, RUN);
    });

    it('names the run or trial that does not exist, and the field that is wrong', async function () {
      await assert.rejects(tracker.getRun(PIPELINE, 'retrain/churn/never'), RunNotFoundError);
      await assert.rejects(
        tracker.startTrial({ pipeline: PIPELINE, run: 'retrain/churn/never', trial: 0, params: {} }),
        /pipeline churn has no tracked run retrain\/churn\/never/,
      );
      await assert.rejects(tracker.logMetrics(PIPELINE, RUN, 9, []), TrialNotFoundError);
      await tracker.startTrial({ pipeline: PIPELINE, run: RUN, trial: 0, params: {} });
      await assert.rejects(
        tracker.logMetrics(PIPELINE, RUN, 0, [{ name: 'loss', step: 1, value: 'high' as unknown as number }]),
        /^InvalidArgumentError: points\[0\]\.value: must be a number/,
      );
      await assert.rejects(tracker.listRuns('Churn Pipeline'), /^InvalidNameError: pipeline:/);
      await assert.rejects(tracker.putArtifact(PIPELINE, RUN, 0, '../escape', 'x'), /^InvalidNameError: name:/);
      await assert.rejects(
        tracker.finishTrial(PIPELINE, RUN, 0, { status: 'running' as 'succeeded' }),
        /^InvalidArgumentError: status: must be one of succeeded/,
      );
    });
  });
}
