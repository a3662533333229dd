/** writeSweepReport against MinIO: reads a tracked sweep run and writes its HTML report to the store. */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createReportActivities, type ReportActivities } from '../../activities/reports';
import type { BlobStore } from '../../activities/storage/types';
import { ExperimentTracker, runKeyOf } from '../../activities/tracking';
import { activityEnv } from '../registry/activity-env';
import { testS3Store } from '../support/worker';
import { facts, figures, markItems, section, tableRows } from './html-parts';

const pipeline = 'churn-sweep';
const run = 'sweep/retrain/churn-sweep/2026-11-27T05:42:28.992Z';
const objective = { metric: 'val_auc', direction: 'maximize' as const };
const space = {
  lr: { type: 'loguniform' as const, min: 0.001, max: 1 },
  depth: { type: 'int' as const, min: 2, max: 6, step: 1 },
};

describe('report activities', function () {
  this.timeout(60_000);
  let store: BlobStore;
  let acts: ReportActivities;

  before(async function () {
    store = testS3Store();
    acts = createReportActivities({ store });
    const tracker = new ExperimentTracker(store);
    await tracker.startRun({ pipeline, run, params: { algorithm: 'grid' } });
    const trials = [
      { trial: 1, lr: 0.01, depth: 3, steps: 6, final: 0.81, status: 'succeeded' as const },
      { trial: 2, lr: 0.1, depth: 4, steps: 6, final: 0.86, status: 'succeeded' as const },
      { trial: 3, lr: 0.5, depth: 5, steps: 3, final: 0.6, status: 'stopped-early' as const },
      { trial: 4, lr: 1, depth: 6, steps: 0, final: undefined, status: 'failed' as const },
    ];
    for (const t of trials) {
      await tracker.startTrial({ pipeline, run, trial: t.trial, params: { lr: t.lr, depth: t.depth } });
      const points = Array.from({ length: t.steps }, (_, i) => ({
        name: 'val_auc',
        step: i + 1,
        value: (t.final ?? 0) - (t.steps - 1 - i) * 0.02,
      }));
      points.push({ name: 'loss', step: 1, value: 0.5 }); // another metric: not the objective's curve
      await tracker.logMetrics(pipeline, run, t.trial, points);
      const metrics: Record<string, number> = t.final === undefined ? {} : { val_auc: t.final };
      await tracker.finishTrial(pipeline, run, t.trial, { metrics, status: t.status });
    }
  });

  it("writes the sweep's report under reports/sweeps/<run key>.html with every trial", async function () {
    const ref = await activityEnv().run(acts.writeSweepReport, {
      pipeline,
      run,
      objective,
      space,
      bestTrial: 2,
      stoppedAtStep: { 3: 3 },
    });
    const key = `reports/sweeps/${runKeyOf(run)}.html`;
    assert.deepEqual(ref, { key, uri: `${store.uri.replace(/\/+$/, '')}/${key}` });
    const html = (await store.getBytes(key)).toString('utf8');
    assert.match(html, /<title>Sweep churn-sweep<\/title>/);
    assert.equal(facts(html).Run, run);
    const rows = tableRows(section(html, 'leaderboard'));
    assert.deepEqual(
      rows.map((r) => [r.cells[1], r.cells[2], r.cells[3]]),
      [
        ['2 ★ best', 'succeeded', '0.86'],
        ['1', 'succeeded', '0.81'],
        ['3', 'stopped-early at step 3', '0.6'],
        ['4', 'failed', '—'],
      ],
    );
    const charts = figures(html);
    assert.deepEqual(
      charts.map((c) => c.title),
      ['val_auc vs lr', 'val_auc vs depth', 'val_auc by step'],
    );
    assert.equal(markItems(charts[0]!.svg, 'trials'), 3);
    assert.equal(markItems(charts[2]!.svg, 'curves'), 3); // the failed trial logged no val_auc
    assert.equal(markItems(charts[2]!.svg, 'stops'), 1);
  });

  it('rewrites the report in place when run again (a retried attempt)', async function () {
    const input = { pipeline, run, objective, space };
    const first = await activityEnv().run(acts.writeSweepReport, input);
    const second = await activityEnv().run(acts.writeSweepReport, input);
    assert.deepEqual(second, first);
    const html = (await store.getBytes(second.key)).toString('utf8');
    // without the sweep's choice the best is the succeeded trial with the highest objective
    assert.equal(facts(section(html, 'summary'))['Best trial'], '2');
  });

  it('fails non-retryably for a run never tracked or a malformed objective', async function () {
    const expectFailure = (promise: Promise<unknown>, type: string) =>
      assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure, String(error));
        assert.deepEqual([error.type, error.nonRetryable], [type, true]);
        return true;
      });
    const env = activityEnv();
    await expectFailure(
      env.run(acts.writeSweepReport, { pipeline, run: 'sweep/none', objective, space }),
      'RunNotFound',
    );
    await expectFailure(
      env.run(acts.writeSweepReport, {
        pipeline,
        run,
        objective: { metric: 'val_auc', direction: 'up' as 'maximize' },
        space,
      }),
      'InvalidArgument',
    );
  });
});
