/**
 * The evaluation report as a person reads it, rendered from two real evaluation.json files
 * (examples/churn trained twice and scored on one holdout): the decision with every gate, the
 * metric table with deltas, ROC and calibration curves of both models, per-segment bars. A
 * regression (examples/forecast's two algorithms) gets its residual plots instead, a multiclass
 * model its confusion matrices.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parseEvaluation, type EvaluationFile } from '../../activities/evaluation';
import { renderEvaluationReport, type EvaluatedModel, type EvaluationReportData } from '../../activities/reports';
import type { GateDecision } from '../../common/gates';
import { churnEvaluations } from '../evaluation/churn-evaluations';
import { forecastEvaluations } from '../evaluation/forecast-evaluations';
import { facts, figures, markItems, section, tableColumns, tableRows, textOf } from './html-parts';

const rejected: GateDecision = {
  passed: false,
  reasons: [
    { gate: 'thresholds.auc.min', passed: true, message: 'auc 0.81 ≥ 0.7', actual: 0.81, limit: 0.7 },
    {
      gate: 'minImprovement',
      passed: false,
      message: 'auc 0.81 improves on the champion by 0.001, less than the required 0.01',
      actual: 0.001,
      limit: 0.01,
    },
  ],
};

function model(label: string, file: EvaluationFile): EvaluatedModel {
  return { label, ...file.summary, roc: file.roc, calibration: file.calibration };
}

describe('evaluation report', function () {
  this.timeout(120_000);
  let candidate: EvaluatedModel;
  let champion: EvaluatedModel;

  before(async function () {
    const made = await churnEvaluations();
    const read = (file: string) => parseEvaluation(fs.readFileSync(file, 'utf8'), file);
    candidate = model('candidate', read(made.candidate.evaluation));
    champion = model('champion v1', read(made.champion.evaluation));
  });

  const data = (extra: Partial<EvaluationReportData> = {}): EvaluationReportData => ({
    title: 'Evaluation churn',
    pipeline: 'churn',
    run: 'retrain/churn/2026-11-27T05:42:28.992Z',
    model: 'churn',
    primaryMetric: 'auc',
    direction: 'maximize',
    candidate,
    champion,
    decision: rejected,
    generatedAt: '2026-11-27T06:00:00.000Z',
    ...extra,
  });

  it('states the decision and lists every gate with its reason, failed ones marked', async function () {
    const html = await renderEvaluationReport(data());
    const decision = section(html, 'decision');
    assert.match(textOf(decision), /Decision: rejected\. 1 of 2 gates failed: minImprovement\./);
    assert.match(decision, /class="decision-rejected"/);
    const rows = tableRows(decision);
    assert.deepEqual(
      rows.map((r) => r.cells.slice(0, 2)),
      [
        ['thresholds.auc.min', 'passed'],
        ['minImprovement', 'failed'],
      ],
    );
    assert.match(rows[1]!.cells[2]!, /less than the required 0\.01/);
    assert.deepEqual(rows[1]!.cells.slice(3), ['0.001', '0.01']);
    assert.deepEqual(rows[1]!.classes, ['highlight']);

    const passed = await renderEvaluationReport(data({ decision: { passed: true, reasons: [rejected.reasons[0]!] } }));
    assert.match(textOf(section(passed, 'decision')), /Decision: passed\. The candidate passed the one gate\./);
  });

  it('compares every metric with the champion: values, delta, coloured by which way is better', async function () {
    const html = await renderEvaluationReport(data());
    const metrics = section(html, 'metrics');
    assert.deepEqual(tableColumns(metrics), ['metric', 'candidate', 'champion v1', 'Δ']);
    const rows = tableRows(metrics);
    const byName = new Map(rows.map((r) => [r.cells[0]!.replace(/ [↑↓].*$/, ''), r]));
    assert.equal(rows[0]!.cells[0], 'auc ↑ (primary)');
    assert.deepEqual(rows[0]!.classes, ['highlight']);
    for (const name of ['auc', 'accuracy', 'f1', 'log_loss', 'brier', 'expected_calibration_error', 'n']) {
      assert.ok(byName.has(name), `a row for ${name}`);
    }
    const auc = byName.get('auc')!;
    const delta = candidate.metrics.auc! - champion.metrics.auc!;
    assert.ok(delta > 0, 'the fuller model scores a higher AUC');
    assert.equal(auc.cells[3], `+${String(Number(delta.toPrecision(4)))}`);
    assert.match(metrics, /<td class="num better" title="candidate better">\+/);
    // log loss: lower is better, so a lower candidate value is coloured better too
    const logLoss = byName.get('log_loss')!;
    assert.equal(logLoss.cells[0], 'log_loss ↓');
    assert.ok(candidate.metrics.log_loss! < champion.metrics.log_loss!);
    assert.match(logLoss.cells[3]!, /^-/);
    const logLossRow = /<tr[^>]*><td>log_loss ↓<\/td>[\s\S]*?<\/tr>/.exec(metrics)![0];
    assert.match(logLossRow, /class="num better"/);
    assert.equal(byName.get('n')!.cells[3], '0', 'the same holdout: n does not change, and n has no colour');
  });

  it('draws the ROC curves of both models on one chart, AUC in the legend, with the chance line', async function () {
    const html = await renderEvaluationReport(data());
    const roc = figures(section(html, 'curves')).find((f) => f.title === 'ROC curve')!;
    assert.ok(roc, 'a ROC chart');
    assert.equal(markItems(roc.svg, 'roc'), 2, 'one line per model');
    assert.equal(markItems(roc.svg, 'chance'), 1);
    const auc = (m: EvaluatedModel) => String(Number(m.metrics.auc!.toPrecision(4)));
    assert.ok(roc.svg.includes(`candidate (AUC ${auc(candidate)})`), 'the candidate in the legend with its AUC');
    assert.ok(roc.svg.includes(`champion v1 (AUC ${auc(champion)})`), 'the champion in the legend with its AUC');
  });

  it('draws the calibration curves of both models with the diagonal and a point per bin', async function () {
    const html = await renderEvaluationReport(data());
    const calibration = figures(section(html, 'curves')).find((f) => f.title === 'Calibration')!;
    assert.ok(calibration, 'a calibration chart');
    assert.equal(markItems(calibration.svg, 'calibration'), 2);
    assert.equal(markItems(calibration.svg, 'perfect'), 1);
    const bins = candidate.calibration!.length + champion.calibration!.length;
    assert.equal(markItems(calibration.svg, 'bins'), bins);
    assert.match(calibration.svg, /X-axis titled 'mean predicted probability'/);
    assert.match(calibration.svg, /Y-axis titled 'fraction positive'/);
  });

  it('draws per-segment bars of the primary metric, candidate and champion side by side, per column', async function () {
    const html = await renderEvaluationReport(data());
    const charts = figures(section(html, 'segments'));
    assert.deepEqual(
      charts.map((c) => c.title),
      ['auc by contract', 'auc by plan', 'auc by region'],
    );
    for (const chart of charts) {
      const column = chart.title.replace('auc by ', '');
      const values = Object.values(candidate.segments[column]!).filter((s) => s.auc !== undefined).length;
      assert.equal(markItems(chart.svg, 'bars'), values * 2, `${column}: a bar per value and model`);
    }
    const plan = charts.find((c) => c.title === 'auc by plan')!;
    const premium = candidate.segments.plan!.premium!;
    assert.ok(
      plan.svg.includes(
        `plan=premium, candidate: auc ${String(Number(premium.auc!.toPrecision(4)))}, ${premium.count} rows`,
      ),
    );
  });

  it('shows the candidate alone when there is no champion', async function () {
    const html = await renderEvaluationReport(data({ champion: undefined, decision: { passed: true, reasons: [] } }));
    assert.match(textOf(html), /candidate \(no champion yet\): passed/);
    assert.match(textOf(section(html, 'decision')), /No gates are configured\./);
    const metrics = section(html, 'metrics');
    assert.deepEqual(tableColumns(metrics), ['metric', 'candidate']);
    assert.ok(tableRows(metrics).every((r) => r.cells.length === 2));
    const [roc, calibration] = figures(section(html, 'curves'));
    assert.equal(markItems(roc!.svg, 'roc'), 1);
    assert.equal(markItems(calibration!.svg, 'calibration'), 1);
    assert.doesNotMatch(html, /champion v1/);
    for (const chart of figures(section(html, 'segments'))) {
      const column = chart.title.replace('auc by ', '');
      assert.equal(markItems(chart.svg, 'bars'), Object.keys(candidate.segments[column]!).length);
    }
  });
});

describe('evaluation report of a regression', function () {
  this.timeout(120_000);
  let candidate: EvaluatedModel;
  let champion: EvaluatedModel;

  before(async function () {
    const made = await forecastEvaluations();
    const read = (file: string) => parseEvaluation(fs.readFileSync(file, 'utf8'), file);
    const of = (label: string, file: EvaluationFile): EvaluatedModel => ({
      label,
      ...file.summary,
      task: file.task,
      residuals: file.residuals,
    });
    candidate = of('candidate', read(made.candidate.evaluation));
    champion = of('champion v1', read(made.champion.evaluation));
  });

  const data = (extra: Partial<EvaluationReportData> = {}): EvaluationReportData => ({
    title: 'Evaluation forecast',
    pipeline: 'forecast',
    run: 'forecast/2026-12-01T03:00:00.000Z',
    model: 'forecast',
    primaryMetric: 'rmse',
    direction: 'minimize',
    candidate,
    champion,
    decision: {
      passed: true,
      reasons: [
        { gate: 'minImprovement', passed: true, message: 'rmse improves', actual: 1, limit: 0 },
        {
          gate: 'maxCalibrationError',
          passed: true,
          notApplicable: true,
          message: 'not applicable: the calibration error gate is for binary classification',
          limit: 0.1,
        },
      ],
    },
    metrics: ['rmse', 'mae', 'r2'],
    generatedAt: '2026-12-01T03:10:00.000Z',
    ...extra,
  });

  it('draws predicted against actual for both models with the y = x line, and the residual histogram', async function () {
    const html = await renderEvaluationReport(data());
    const charts = figures(section(html, 'residuals'));
    assert.deepEqual(
      charts.map((c) => c.title),
      ['Predicted vs actual', 'Residuals'],
    );
    const scatter = charts[0]!;
    assert.equal(markItems(scatter.svg, 'identity'), 1, 'the y = x line');
    assert.equal(
      markItems(scatter.svg, 'residuals'),
      candidate.residuals!.length + champion.residuals!.length,
      'a point per sampled row and model',
    );
    const rmse = (m: EvaluatedModel) => String(Number(m.metrics.rmse!.toPrecision(4)));
    assert.ok(scatter.svg.includes(`candidate (RMSE ${rmse(candidate)})`), 'the legend carries each RMSE');
    assert.match(scatter.svg, /X-axis titled 'actual'/);
    assert.match(scatter.svg, /Y-axis titled 'predicted'/);
    assert.ok(markItems(charts[1]!.svg, 'histogram') > 2, 'bars of the residual histogram');
    const titles = figures(html).map((f) => f.title);
    assert.ok(!titles.includes('ROC curve') && !titles.includes('Calibration'), 'no binary curves');
    assert.equal(facts(html).Task, 'regression');
  });

  it('compares rmse, mae and r2, lower rmse counted as better', async function () {
    const html = await renderEvaluationReport(data());
    const rows = tableRows(section(html, 'metrics'));
    assert.deepEqual(
      rows.map((r) => r.cells[0]),
      ['rmse ↓ (primary)', 'mae ↓', 'r2 ↑'],
    );
    const rmseRow = /<tr[^>]*><td>rmse ↓ \(primary\)<\/td>[\s\S]*?<\/tr>/.exec(section(html, 'metrics'))![0];
    const better = candidate.metrics.rmse! < champion.metrics.rmse!;
    assert.match(rmseRow, better ? /class="num better"/ : /class="num worse"/);
  });

  it('shows a gate that does not apply to the task as not applicable', async function () {
    const html = await renderEvaluationReport(data());
    const calibration = tableRows(section(html, 'decision')).find((r) => r.cells[0] === 'maxCalibrationError')!;
    assert.equal(calibration.cells[1], 'not applicable');
  });

  it('draws rmse per store, candidate and champion side by side', async function () {
    const html = await renderEvaluationReport(data());
    const charts = figures(section(html, 'segments'));
    assert.deepEqual(
      charts.map((c) => c.title),
      ['rmse by item', 'rmse by store'],
    );
    assert.equal(markItems(charts[1]!.svg, 'bars'), 3 * 2);
  });
});

describe('evaluation report of a multiclass model', function () {
  this.timeout(60_000);
  const file = (counts: number[][], accuracy: number) =>
    parseEvaluation(
      JSON.stringify({
        task: 'multiclass',
        accuracy,
        macro_f1: accuracy - 0.05,
        log_loss: 0.7,
        confusion_matrix: { labels: ['low', 'medium', 'high'], counts },
      }),
      'evaluation.json',
    );
  const of = (label: string, f: EvaluationFile): EvaluatedModel => ({
    label,
    ...f.summary,
    task: f.task,
    confusionMatrix: f.confusionMatrix,
  });
  const candidate = of(
    'candidate',
    file(
      [
        [40, 5, 0],
        [6, 30, 4],
        [1, 3, 11],
      ],
      0.81,
    ),
  );
  const champion = of(
    'champion v2',
    file(
      [
        [35, 10, 0],
        [9, 25, 6],
        [2, 5, 8],
      ],
      0.68,
    ),
  );
  const data: EvaluationReportData = {
    title: 'Evaluation tiers',
    pipeline: 'tiers',
    run: 'retrain/tiers/2026-12-01T03:00:00.000Z',
    model: 'tiers',
    primaryMetric: 'macro_f1',
    direction: 'maximize',
    candidate,
    champion,
    decision: { passed: true, reasons: [] },
    generatedAt: '2026-12-01T03:10:00.000Z',
  };

  it('draws a confusion-matrix heatmap per model, a cell per pair of classes with its count', async function () {
    const html = await renderEvaluationReport(data);
    const charts = figures(section(html, 'confusion-matrix'));
    assert.deepEqual(
      charts.map((c) => c.title),
      ['Confusion matrix: candidate', 'Confusion matrix: champion v2'],
    );
    for (const chart of charts) {
      assert.equal(markItems(chart.svg, 'cells'), 9, 'a cell per actual and predicted class');
      assert.match(chart.svg, /X-axis titled 'predicted class'/);
      assert.match(chart.svg, /Y-axis titled 'actual class'/);
    }
    assert.ok(
      charts[0]!.svg.includes('actual medium, predicted high: 4 rows (10% of medium)'),
      'each cell describes its count and share of the row',
    );
    assert.ok(/<text[^>]*>30<\/text>/.test(charts[0]!.svg), 'counts are written in the cells');
    assert.doesNotMatch(html, /ROC curve/);
  });

  it('lists the multiclass metrics, the primary one first', async function () {
    const html = await renderEvaluationReport(data);
    assert.deepEqual(
      tableRows(section(html, 'metrics')).map((r) => r.cells[0]),
      ['macro_f1 ↑ (primary)', 'accuracy ↑', 'log_loss ↓'],
    );
  });
});
