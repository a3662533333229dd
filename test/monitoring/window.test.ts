/**
 * `computeDriftWindow` on a filesystem store: the champion's training data is a real snapshot of
 * generated churn data (drift 0), the window's requests NDJSON batches written where and as the
 * gateway writes them, with rows of the same generator at drift 0 or 0.9.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { snapshotDataset } from '../../activities/data';
import { createMonitoringActivities } from '../../activities/monitoring/activities';
import {
  computeDriftWindow,
  monitoringKeys,
  type DriftWindowDetails,
  type DriftWindowInput,
} from '../../activities/monitoring/window';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import {
  capture,
  captured,
  churnWindowInput,
  featuresOf,
  generate,
  predict,
  readRows,
  writeBatch,
  type Row,
} from '../support/churn-traffic';

const SHIFTED = ['monthly_charges', 'support_calls', 'plan', 'contract'];

describe('computeDriftWindow', function () {
  this.timeout(120_000);
  let store: BlobStore;
  let snapshot: string;
  let stable: Row[];
  let drifted: Row[];
  const base = new Date('2026-03-04T10:00:00.000Z');
  const at = (minutes: number) => new Date(base.getTime() + minutes * 60_000);

  const input = (endpoint: string, from: Date, to: Date, extra: Partial<DriftWindowInput> = {}) =>
    churnWindowInput(endpoint, snapshot, from, to, extra);

  before(function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-window-'));
    store = new FilesystemBlobStore(path.join(dir, 'store'));
    const data = generate(dir, 0, 1);
    stable = readRows(path.join(data, 'holdout.csv'));
    drifted = readRows(path.join(generate(dir, 0.9, 2), 'holdout.csv'));
    return snapshotDataset(store, { dataset: 'churn', source: data }).then((s) => {
      snapshot = s.id;
    });
  });

  it('judges a window of drift-0 requests and finds no drift', async () => {
    await capture(store, 'stable', stable.slice(0, 400), at(0), at(5));
    const w = await computeDriftWindow(store, input('stable', at(0), at(5)));
    assert.equal(w.captured, 400);
    assert.equal(w.samples, 400);
    assert.equal(w.judged, true);
    assert.deepEqual(
      w.features.map((f) => f.column).sort(),
      featuresOf(stable[0]!).sort(),
      'every feature compared, the id and the label not',
    );
    assert.deepEqual(w.drifted, [], JSON.stringify(w.features));
    assert.equal(w.drifts, false);
    assert.doesNotMatch(w.summary, /DRIFT/);
  });

  it('finds the shifted features of a window of drift-0.9 requests and calls the window drifting', async () => {
    await capture(store, 'shifted', drifted.slice(0, 400), at(0), at(5));
    const w = await computeDriftWindow(store, input('shifted', at(0), at(5)));
    assert.equal(w.judged, true);
    assert.equal(w.drifts, true);
    for (const column of SHIFTED) assert.ok(w.drifted.includes(column), `${column} drifts: ${w.summary}`);
    assert.ok(!w.drifted.includes('region'), `region is not shifted: ${w.summary}`);
    assert.ok(w.share >= 0.3);
    assert.match(w.summary, /features drift \(.*monthly_charges.*\): DRIFT/);
    const monthly = w.features.find((f) => f.column === 'monthly_charges')!;
    assert.equal(monthly.kind, 'numeric');
    assert.ok(monthly.breached.includes('ks_pvalue'), JSON.stringify(monthly));
  });

  it('does not judge a window with fewer rows than minSamples, however different they are', async () => {
    await capture(store, 'sparse', drifted.slice(0, 60), at(0), at(5));
    const w = await computeDriftWindow(store, input('sparse', at(0), at(5)));
    assert.equal(w.samples, 60);
    assert.equal(w.judged, false);
    assert.equal(w.drifts, false);
    assert.equal(w.prediction, undefined, 'no prediction reference from a window too small to judge');
    assert.match(w.summary, /60 rows \(< 100\): not judged/);
  });

  it('reports a window without any request as not judged, on an endpoint that never had traffic', async () => {
    const acts = createMonitoringActivities({ store });
    const first = await acts.computeDriftWindow(input('idle', at(0), at(5)));
    const second = await acts.computeDriftWindow(input('idle', at(5), at(10)));
    for (const w of [first, second]) {
      assert.equal(w.captured, 0);
      assert.equal(w.judged, false);
      assert.equal(w.drifts, false);
      assert.match(w.summary, /^0 rows \(< 100\): not judged/);
    }
    const html = (await store.getBytes(monitoringKeys.report('idle', at(10).toISOString()))).toString('utf8');
    assert.match(html, /not judged \(too few rows\)/);
  });

  it('counts the rows of a 2-D tensor input by its shape, and says that no feature could be compared', async () => {
    const rows = stable.slice(0, 120);
    const request = captured('tensor', rows, at(1));
    await writeBatch(store, 'tensor', 'capture', at(1), [
      {
        ...request,
        inputs: [
          {
            name: 'input-0',
            shape: [rows.length, 4],
            datatype: 'FP64',
            data: rows.flatMap((r) => [r.tenure_months, r.monthly_charges, r.total_charges, r.support_calls]),
          },
        ],
      },
    ]);
    const w = await computeDriftWindow(store, input('tensor', at(0), at(5)));
    assert.equal(w.captured, 120);
    assert.equal(w.samples, 120);
    assert.deepEqual(w.features, []);
    assert.equal(w.drifts, false);
    assert.match(w.summary, /^no feature compared \(no request input is named as a column of the training data\)/);
  });

  it('counts only the requests in (from, to], wherever the batch that holds them starts', async () => {
    const endpoint = 'bounds';
    const from = at(60); // 11:00
    const to = at(65);
    // on the boundaries: `from` itself is out, `to` itself is in; one past `to` is out
    await writeBatch(store, endpoint, 'capture', from, [
      captured(endpoint, drifted.slice(0, 150), from),
      captured(endpoint, stable.slice(0, 150), new Date(from.getTime() + 1)),
    ]);
    await writeBatch(store, endpoint, 'capture', to, [
      captured(endpoint, stable.slice(150, 300), to),
      captured(endpoint, drifted.slice(150, 300), new Date(to.getTime() + 1)),
    ]);
    // a batch the gateway started in the hour before, still open when the window began
    const batchStart = new Date(from.getTime() - 2000);
    await writeBatch(store, endpoint, 'capture', batchStart, [
      captured(endpoint, drifted.slice(300, 450), batchStart),
      captured(endpoint, stable.slice(300, 450), new Date(from.getTime() + 3000)),
    ]);
    // a failed request in the window counts for nothing
    await writeBatch(store, endpoint, 'capture', new Date(from.getTime() + 5000), [
      { ...captured(endpoint, drifted.slice(0, 150), new Date(from.getTime() + 5000)), outputs: null, status: 500 },
    ]);
    const w = await computeDriftWindow(store, input(endpoint, from, to));
    assert.equal(w.captured, 450, 'the three drift-0 requests in the window');
    assert.equal(w.judged, true);
    assert.deepEqual(w.drifted, [], w.summary);
  });

  it('records the prediction reference in the first judged window of a champion and compares the next ones with it', async () => {
    const endpoint = 'predictions';
    await capture(store, endpoint, stable.slice(0, 300), at(0), at(5));
    // one-row requests with the outputs flat ([n]) this time
    await capture(store, endpoint, stable.slice(300, 500), at(5), at(10), 1, 'flat');
    await capture(store, endpoint, drifted.slice(0, 300), at(10), at(15));

    const first = await computeDriftWindow(store, input(endpoint, at(0), at(5)));
    assert.deepEqual(first.prediction, { reference: 'recorded', samples: 300 });
    const reference = JSON.parse(
      (await store.getBytes(monitoringKeys.reference(endpoint, 'churn', 1))).toString('utf8'),
    ) as { values: number[] };
    assert.deepEqual(reference.values, stable.slice(0, 300).map(predict), 'the predicted classes, in order');

    const second = await computeDriftWindow(store, input(endpoint, at(5), at(10), { seed: 2 }));
    assert.ok(second.prediction && 'psi' in second.prediction, JSON.stringify(second.prediction));
    assert.equal(second.prediction.drifts, false, JSON.stringify(second.prediction));
    assert.equal(second.drifts, false);

    const third = await computeDriftWindow(store, input(endpoint, at(10), at(15), { seed: 3 }));
    assert.ok(third.prediction && 'psi' in third.prediction);
    assert.equal(third.prediction.drifts, true, JSON.stringify(third.prediction));
    assert.ok(third.prediction.psi > second.prediction.psi);
    assert.match(third.summary, /prediction PSI \d\.\d{3}/);

    const other = await computeDriftWindow(store, input(endpoint, at(0), at(5), { version: 2 }));
    assert.deepEqual(other.prediction, { reference: 'recorded', samples: 300 }, 'a new champion has its own reference');
  });

  it('gives live accuracy from the labels of one-row requests, and drifts when it falls too far', async () => {
    const endpoint = 'labelled';
    const requests = await capture(store, endpoint, stable.slice(0, 200), at(0), at(5), 1);
    // a few batched requests too: their labels cannot be matched to a row
    const batched = await capture(store, endpoint, stable.slice(200, 260), at(0), at(5), 20);
    const labels = [...requests, ...batched].map((r, i) => {
      const predicted = r.outputs[0]!.data[0]!;
      // the first 150 one-row requests labelled as predicted, the last 50 the other way
      return {
        requestId: r.requestId,
        label: i < 150 ? predicted : 1 - predicted,
        time: at(6).toISOString(),
        endpoint,
      };
    });
    await writeBatch(store, endpoint, 'feedback', at(6), labels);

    const settings = { ...input(endpoint, at(0), at(5)).settings, maxAccuracyDrop: 0.05 };
    const w = await computeDriftWindow(store, input(endpoint, at(0), at(5), { settings, expectedAccuracy: 0.9 }));
    assert.equal(w.samples, 260);
    assert.ok(w.performance, w.summary);
    assert.equal(w.performance.labelled, 200);
    assert.equal(w.performance.accuracy, 0.75);
    assert.equal(w.performance.expected, 0.9);
    assert.ok(Math.abs(w.performance.drop! - 0.15) < 1e-9);
    assert.equal(w.performance.breached, true);
    assert.ok(w.share < 0.3, `too few features drift to make the window drift: ${w.summary}`);
    assert.equal(w.drifts, true, 'the accuracy drop makes the window drift');
    assert.match(w.summary, /live accuracy 0\.750 on 200: DRIFT/);

    const lenient = { ...settings, maxAccuracyDrop: 0.2 };
    const ok = await computeDriftWindow(
      store,
      input(endpoint, at(0), at(5), { settings: lenient, expectedAccuracy: 0.9 }),
    );
    assert.equal(ok.performance?.breached, false);
    assert.equal(ok.drifts, false);
  });

  it('writes the window details and an HTML report with charts to the store', async () => {
    const endpoint = 'reported';
    await capture(store, endpoint, stable.slice(0, 200), at(0), at(5));
    await capture(store, endpoint, drifted.slice(0, 200), at(5), at(10));
    const acts = createMonitoringActivities({ store });
    await acts.computeDriftWindow(input(endpoint, at(0), at(5)));
    const w = await acts.computeDriftWindow(input(endpoint, at(5), at(10)));

    assert.equal(w.detailsKey, monitoringKeys.window(endpoint, at(10).toISOString()));
    const details = JSON.parse((await store.getBytes(w.detailsKey)).toString('utf8')) as DriftWindowDetails;
    assert.equal(details.endpoint, endpoint);
    assert.equal(details.baseline.snapshot, snapshot);
    assert.deepEqual(Object.keys(details.histograms).sort(), featuresOf(stable[0]!).sort());
    const plan = details.histograms.plan!;
    assert.deepEqual(plan.bins, ['basic', 'premium', 'standard']);
    assert.ok(Math.abs(plan.baseline.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(Math.abs(plan.current.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const monthly = details.histograms.monthly_charges!;
    assert.equal(monthly.bins.length, 20);

    const reportKey = monitoringKeys.report(endpoint, at(10).toISOString());
    assert.equal(w.report, `${store.uri.replace(/\/+$/, '')}/${reportKey}`);
    const html = (await store.getBytes(reportKey)).toString('utf8');
    assert.match(html, /<svg/);
    assert.match(html, /DRIFT/);
    assert.match(html, /monthly_charges/);
    assert.match(html, /Drift across windows/, 'the earlier window is in the time series');
  });
});
