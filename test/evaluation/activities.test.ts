/**
 * readEvaluation and writeEvaluationReport against MinIO, on evaluation.json files written by
 * examples/churn/evaluate.py, one of them run as the retrain pipeline runs it: a job on the local
 * training backend with the model in `modelUri` and the holdout as its input snapshot.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { snapshotDataset } from '../../activities/data';
import { createEvaluationActivities, type EvaluationActivities } from '../../activities/evaluation';
import type { BlobStore } from '../../activities/storage/types';
import { runKeyOf } from '../../activities/tracking';
import { LocalProcessBackend } from '../../activities/training';
import { REPO_ROOT } from '../../lib/tools';
import { activityEnv } from '../registry/activity-env';
import { testS3Store } from '../support/worker';
import { waitFor } from '../training/helpers';
import { facts, figures, markItems, section } from '../reports/html-parts';
import { churnEvaluations, type ChurnEvaluations } from './churn-evaluations';

async function failsWith(promise: Promise<unknown>, type: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, message);
    return true;
  });
}

/** Uploads every file under `dir` to `<prefix>/…`. */
async function uploadFolder(store: BlobStore, dir: string, prefix: string): Promise<void> {
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    await store.put(`${prefix}/${path.relative(dir, file).split(path.sep).join('/')}`, fs.readFileSync(file));
  }
}

const decision = {
  passed: false,
  reasons: [{ gate: 'minImprovement', passed: false, message: 'auc improves by 0.001, less than 0.01' }],
};

describe('evaluation activities', function () {
  this.timeout(120_000);
  let store: BlobStore;
  let acts: EvaluationActivities;
  let made: ChurnEvaluations;
  const env = activityEnv();

  before(async function () {
    made = await churnEvaluations();
    store = testS3Store();
    acts = createEvaluationActivities({ store });
  });

  it('runs evaluate.py as a job with the model from the store (modelUri), then reads its evaluation', async function () {
    const modelPrefix = 'experiments/churn/retrain-1/trials/0/output';
    await uploadFolder(store, made.candidate.modelDir, modelPrefix);
    const snapshot = await snapshotDataset(store, { dataset: 'churn-holdout', source: path.join(made.dir, 'data') });
    const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-eval-jobs-'));
    const backend = new LocalProcessBackend({
      store,
      workRoot,
      python: path.join(REPO_ROOT, '.venv', 'bin', 'python'),
    });
    const outputPrefix = 'models/churn/evaluations/candidates/retrain-1';
    try {
      const { jobId } = await backend.submit(
        {
          name: 'churn-evaluate',
          command: ['python', 'evaluate.py'],
          codeDir: path.join(REPO_ROOT, 'examples', 'churn'),
          env: { PYTHONDONTWRITEBYTECODE: '1' },
          params: {},
          input: { dataset: 'churn-holdout', snapshot: snapshot.id },
          modelUri: `${store.uri}/${modelPrefix}`,
          outputPrefix,
        },
        'evaluate-candidate',
      );
      assert.equal(await env.run(acts.readEvaluation, { outputPrefix }), null, 'nothing recorded yet');
      const done = await waitFor(backend, jobId, ['succeeded', 'failed'], 60_000);
      assert.equal(done.state, 'succeeded', JSON.stringify(done));
      await backend.result(jobId);
    } finally {
      fs.rmSync(workRoot, { recursive: true, force: true });
    }
    const read = await env.run(acts.readEvaluation, { outputPrefix: `${outputPrefix}/` });
    assert.ok(read);
    assert.equal(read.key, `${outputPrefix}/output/evaluation.json`);
    const local = JSON.parse(fs.readFileSync(made.candidate.evaluation, 'utf8')) as Record<string, unknown>;
    assert.equal(read.summary.metrics.auc, local.auc, 'the same model on the same holdout scores the same');
    for (const name of ['auc', 'accuracy', 'f1', 'precision', 'recall', 'log_loss', 'brier', 'n', 'positive_rate'])
      assert.equal(typeof read.summary.metrics[name], 'number', name);
    assert.equal(read.summary.metrics.expected_calibration_error, local.expected_calibration_error);
    assert.deepEqual(Object.keys(read.summary.segments).sort(), ['contract', 'plan', 'region']);
    assert.deepEqual(Object.keys(read.summary.segments.plan!.premium!).sort(), [
      'accuracy',
      'auc',
      'count',
      'positive_rate',
    ]);
    const payload = JSON.stringify(read);
    assert.doesNotMatch(payload, /roc|calibration"|fpr|data_file/, 'no curves nor text fields in the summary');
    assert.ok(payload.length < 4000, `a small payload (${payload.length} bytes)`);
  });

  it('reads null when the job recorded no result or wrote no evaluation.json', async function () {
    const prefix = 'models/churn/evaluations/candidates/none';
    assert.equal(await env.run(acts.readEvaluation, { outputPrefix: prefix }), null);
    await store.put(`${prefix}/output/evaluation.json`, fs.readFileSync(made.champion.evaluation));
    assert.equal(await env.run(acts.readEvaluation, { outputPrefix: prefix }), null, 'no result.json yet');
    const other = 'models/churn/evaluations/candidates/no-file';
    await store.put(`${other}/result.json`, '{}');
    assert.equal(await env.run(acts.readEvaluation, { outputPrefix: other }), null);
  });

  it('fails non-retryably naming the key when evaluation.json is not JSON or not an evaluation', async function () {
    const cases: [string, string, RegExp][] = [
      ['bad-json', '{"auc": 0.8,', /not valid JSON/],
      ['array', '[1, 2]', /must be a JSON object/],
      ['no-metrics', '{"note": "x"}', /has no numeric metrics/],
      ['segments', '{"auc": 0.8, "segments": {"plan": [1]}}', /segments\.plan must be an object/],
      ['roc', '{"auc": 0.8, "roc": {"fpr": [0, 1], "tpr": [0]}}', /roc\.fpr and roc\.tpr/],
    ];
    for (const [name, body, problem] of cases) {
      const prefix = `models/churn/evaluations/invalid/${name}`;
      await store.put(`${prefix}/result.json`, '{}');
      await store.put(`${prefix}/output/evaluation.json`, body);
      const key = `${prefix}/output/evaluation.json`;
      await failsWith(
        env.run(acts.readEvaluation, { outputPrefix: prefix }),
        'EvaluationInvalid',
        new RegExp(`^${key}: ${problem.source}`),
      );
    }
    await failsWith(env.run(acts.readEvaluation, { outputPrefix: '../x' }), 'InvalidArgument', /^outputPrefix: /);
  });

  it('writes the evaluation report to reports/evaluations/<run key>.html, with and without a champion', async function () {
    await store.put('eval/candidate.json', fs.readFileSync(made.candidate.evaluation));
    await store.put('eval/champion.json', fs.readFileSync(made.champion.evaluation));
    const run = 'retrain/churn/2026-11-27T05:42:28.992Z';
    const input = {
      pipeline: 'churn',
      run,
      model: 'churn',
      primaryMetric: 'auc',
      direction: 'maximize' as const,
      candidate: { label: 'candidate', evaluationKey: 'eval/candidate.json' },
      champion: { label: 'champion v3', evaluationKey: 'eval/champion.json' },
      decision,
      metrics: ['auc', 'log_loss', 'accuracy'],
    };
    const ref = await env.run(acts.writeEvaluationReport, input);
    const key = `reports/evaluations/${runKeyOf(run)}.html`;
    assert.deepEqual(ref, { key, uri: `${store.uri}/${key}` });
    const html = (await store.getBytes(key)).toString('utf8');
    assert.match(html, /Decision: rejected\. 1 of 1 gate failed: minImprovement\./);
    assert.equal(facts(html).Champion, 'champion v3');
    const roc = figures(section(html, 'curves'))[0]!;
    assert.equal(markItems(roc.svg, 'roc'), 2);
    assert.match(section(html, 'metrics'), /log_loss ↓/);
    assert.doesNotMatch(section(html, 'metrics'), /brier/, 'only the metrics asked for');

    const first = await env.run(acts.writeEvaluationReport, {
      ...input,
      champion: undefined,
      decision: { passed: true, reasons: [] },
    });
    assert.equal(first.key, key, 'a retried or re-run report replaces the earlier rendering');
    const alone = (await store.getBytes(key)).toString('utf8');
    assert.equal(facts(alone).Champion, 'none: the first version of this model');
    assert.equal(markItems(figures(section(alone, 'curves'))[0]!.svg, 'roc'), 1);
  });

  it('fails non-retryably when an evaluation to report is missing or an argument is malformed', async function () {
    const input = {
      pipeline: 'churn',
      run: 'retrain/churn/x',
      model: 'churn',
      primaryMetric: 'auc',
      direction: 'maximize' as const,
      candidate: { label: 'candidate', evaluationKey: 'eval/nowhere.json' },
      decision,
    };
    await failsWith(
      env.run(acts.writeEvaluationReport, input),
      'InvalidArgument',
      /^candidate\.evaluationKey: no evaluation at eval\/nowhere\.json/,
    );
    await failsWith(
      env.run(acts.writeEvaluationReport, { ...input, direction: 'up' as never }),
      'InvalidArgument',
      /^direction: /,
    );
  });
});
