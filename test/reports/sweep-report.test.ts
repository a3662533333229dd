/** The sweep report as a person reads it: leaderboard, best trial, charts per param, learning curves. */
import assert from 'node:assert/strict';
import { renderSweepReport, type SweepReportData, type SweepTrialData } from '../../activities/reports';
import { facts, figures, markItems, section, tableColumns, tableRows, textOf, xAxisLabel } from './html-parts';

const space: SweepReportData['space'] = {
  lr: { type: 'loguniform', min: 1e-4, max: 1 },
  depth: { type: 'int', min: 2, max: 8 },
  optimizer: { type: 'choice', values: ['adam', 'sgd'] },
};

function curve(final: number, steps: number): SweepTrialData['curve'] {
  return Array.from({ length: steps }, (_, i) => ({ step: i + 1, value: final - (steps - 1 - i) * 0.01 }));
}

function trial(n: number, status: string, objective: number | undefined, extra: Partial<SweepTrialData> = {}) {
  return {
    trial: n,
    params: { lr: 10 ** -(n % 4) / 2, depth: 2 + (n % 6), optimizer: n % 2 === 0 ? 'adam' : 'sgd' },
    status,
    metrics: objective === undefined ? {} : { score: objective },
    curve: objective === undefined || !Number.isFinite(objective) ? [] : curve(objective, 5),
    ...extra,
  } satisfies SweepTrialData;
}

/** Seven trials: four succeeded (one with a NaN score), one stopped early, one cancelled, one failed. */
function sweep(direction: 'maximize' | 'minimize', extra: Partial<SweepReportData> = {}): SweepReportData {
  return {
    title: 'Sweep churn-sweep',
    run: 'sweep/retrain/churn/2026-11-27T05:42:28.992Z',
    objective: { metric: 'score', direction },
    space,
    trials: [
      trial(1, 'succeeded', 0.8),
      trial(2, 'succeeded', 0.9),
      trial(3, 'failed', undefined),
      trial(4, 'stopped-early', 0.95, { stoppedAtStep: 3, curve: curve(0.95, 3) }),
      trial(5, 'succeeded', 0.7),
      trial(6, 'succeeded', NaN),
      trial(7, 'cancelled', 0.5),
    ],
    generatedAt: '2026-11-27T06:00:00.000Z',
    ...extra,
  };
}

const trialColumn = 1;

describe('sweep report', function () {
  this.timeout(30_000);

  it('ranks the leaderboard highest first when maximizing, trials that did not succeed last', async function () {
    const html = await renderSweepReport(sweep('maximize'));
    const rows = tableRows(section(html, 'leaderboard'));
    assert.deepEqual(
      rows.map((r) => r.cells[trialColumn]!.replace(/\D.*/, '')),
      ['2', '1', '5', '6', '4', '7', '3'],
    );
    assert.deepEqual(
      rows.map((r) => r.cells[0]),
      ['1', '2', '3', '—', '—', '—', '—'],
    );
    assert.deepEqual(tableColumns(section(html, 'leaderboard')).slice(0, 4), ['rank', 'trial', 'status', 'score ↑']);
  });

  it('ranks the leaderboard lowest first when minimizing', async function () {
    const html = await renderSweepReport(sweep('minimize'));
    const rows = tableRows(section(html, 'leaderboard'));
    assert.deepEqual(
      rows.map((r) => r.cells[trialColumn]!.replace(/\D.*/, '')),
      ['5', '1', '2', '6', '4', '7', '3'],
    );
  });

  it('highlights the best trial in the leaderboard and names it in the summary', async function () {
    for (const [direction, best] of [
      ['maximize', '2'],
      ['minimize', '5'],
    ] as const) {
      const html = await renderSweepReport(sweep(direction));
      const highlighted = tableRows(section(html, 'leaderboard')).filter((r) => r.classes.includes('highlight'));
      assert.deepEqual(
        highlighted.map((r) => r.cells[trialColumn]),
        [`${best} ★ best`],
      );
      const summary = facts(section(html, 'summary'));
      assert.equal(summary['Best trial'], best);
      assert.equal(summary.Trials, '7: 4 succeeded, 1 stopped early, 1 cancelled, 1 failed');
    }
    // the sweep's own choice wins over the computed one
    const chosen = await renderSweepReport(sweep('maximize', { bestTrial: 1 }));
    const highlighted = tableRows(section(chosen, 'leaderboard')).filter((r) => r.classes.includes('highlight'));
    assert.deepEqual(
      highlighted.map((r) => r.cells[trialColumn]),
      ['1 ★ best'],
    );
  });

  it('draws one chart per param and the learning curves, a mark per trial plotted', async function () {
    const html = await renderSweepReport(sweep('maximize'));
    const charts = figures(html);
    assert.deepEqual(
      charts.map((c) => c.title),
      ['score vs lr', 'score vs depth', 'score vs optimizer', 'score by step'],
    );
    // finite scores: trials 1, 2, 4, 5, 7 (3 has none, 6 is NaN)
    for (const chart of charts.slice(0, 3)) {
      assert.equal(markItems(chart.svg, 'trials'), 5, chart.title);
      assert.equal(markItems(chart.svg, 'best'), 1, chart.title);
      assert.match(chart.caption, /5 trials plotted\. 2 trials without a finite score not plotted\./);
    }
    const curves = charts[3]!;
    assert.equal(markItems(curves.svg, 'curves'), 5); // trials 3 and 6 have no finite curve
    assert.equal(markItems(curves.svg, 'stops'), 1); // trial 4
    assert.equal(markItems(curves.svg, 'best'), 1);
    assert.match(curves.caption, /Dashed lines: trials stopped early/);
    assert.match(textOf(section(html, 'learning-curves')), /No intermediate values from trials 3, 6\./);
  });

  it('uses a log scale for a loguniform param, an integer axis for int, categories for a choice', async function () {
    const [lr, depth, optimizer] = figures(await renderSweepReport(sweep('maximize')));
    assert.match(xAxisLabel(lr!.svg), /^X-axis titled 'lr' for a log scale/);
    assert.match(xAxisLabel(depth!.svg), /^X-axis titled 'depth' for a linear scale/);
    assert.match(
      xAxisLabel(optimizer!.svg),
      /^X-axis titled 'optimizer' for a discrete scale with 2 values: adam, sgd/,
    );
  });

  it('shows NaN and Infinity as text and keeps them out of every chart', async function () {
    const data = sweep('maximize');
    data.trials[0]!.curve.push({ step: 6, value: NaN }, { step: 7, value: Infinity });
    data.trials[1]!.metrics.loss = -Infinity;
    const html = await renderSweepReport(data);
    const rows = tableRows(section(html, 'leaderboard'));
    const row = (n: number) => rows.find((r) => r.cells[trialColumn]!.startsWith(String(n)))!.cells;
    assert.equal(row(6)[3], 'NaN');
    assert.equal(row(2)[4], '-Infinity');
    assert.match(section(html, 'leaderboard'), /<td class="num non-finite">NaN<\/td>/);
    const charts = figures(html);
    for (const chart of charts) assert.doesNotMatch(chart.svg, /NaN|Infinity/, chart.title);
    assert.match(charts[3]!.caption, /2 non-finite values \(NaN or Infinity\) not plotted\./);
  });

  it('escapes hostile text everywhere and loads nothing from anywhere', async function () {
    const data = sweep('maximize', {
      title: 'Sweep <script>alert("t")</script>',
      run: 'run"><img src=x onerror=alert(1)>',
    });
    data.space = { ...space, optimizer: { type: 'choice', values: ['adam', '<img src=x onerror=alert(2)>'] } };
    data.trials[0]!.params.optimizer = '<img src=x onerror=alert(2)>';
    data.trials[1]!.params['<b>name</b>'] = '</td><script>alert(3)</script>';
    const html = await renderSweepReport(data);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<b>/);
    assert.match(html, /<title>Sweep &lt;script&gt;alert\(&quot;t&quot;\)&lt;\/script&gt;<\/title>/);
    const rows = tableRows(section(html, 'leaderboard'));
    assert.ok(rows.some((r) => r.cells.includes('</td><script>alert(3)</script>')));
    assert.ok(rows.some((r) => r.cells.includes('<img src=x onerror=alert(2)>')));
    assert.ok(tableColumns(section(html, 'leaderboard')).includes('<b>name</b>'));
    // offline: no URL but the SVG namespaces, links only within the page, no external resources
    const withoutNamespaces = html.replace(/ xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
    assert.doesNotMatch(withoutNamespaces, /https?:|\/\//i);
    for (const href of html.matchAll(/\shref="([^"]*)"/g)) assert.match(href[1]!, /^#/);
    assert.doesNotMatch(html, /<link|<iframe|@import|url\((?!#)/i);
  });

  it('reads well with no trials, trials without curves and a param some trials lack', async function () {
    const empty = await renderSweepReport({ ...sweep('maximize'), trials: [] });
    assert.equal(figures(empty).length, 0);
    assert.equal(facts(section(empty, 'summary')).Trials, 'none yet');
    assert.match(facts(section(empty, 'summary'))['Best trial']!, /^none/);
    assert.match(textOf(section(empty, 'objective-by-parameter')), /lr: nothing to plot\./);
    assert.match(textOf(section(empty, 'learning-curves')), /No trial reported finite intermediate values of score/);
    assert.equal(tableRows(section(empty, 'leaderboard')).length, 0);

    const data = sweep('maximize');
    for (const t of data.trials) t.curve = [];
    delete data.trials[0]!.params.depth;
    const html = await renderSweepReport(data);
    const charts = figures(html);
    assert.deepEqual(
      charts.map((c) => c.title),
      ['score vs lr', 'score vs depth', 'score vs optimizer'],
    );
    assert.equal(markItems(charts[1]!.svg, 'trials'), 4);
    assert.match(charts[1]!.caption, /1 trial without depth not plotted\./);
    const row1 = tableRows(section(html, 'leaderboard')).find((r) => r.cells[trialColumn] === '1')!;
    assert.equal(row1.cells[tableColumns(section(html, 'leaderboard')).indexOf('depth')], '—');
  });

  it('renders hundreds of trials, every one in the table and the charts', async function () {
    const trials = Array.from({ length: 300 }, (_, i) =>
      trial(i + 1, i % 10 === 9 ? 'stopped-early' : 'succeeded', 0.5 + ((i * 37) % 300) / 1000, {
        curve: curve(0.5 + ((i * 37) % 300) / 1000, i % 10 === 9 ? 4 : 20),
      }),
    );
    const html = await renderSweepReport({ ...sweep('maximize'), trials });
    assert.equal(tableRows(section(html, 'leaderboard')).length, 300);
    const charts = figures(html);
    for (const chart of charts.slice(0, 3)) assert.equal(markItems(chart.svg, 'trials'), 300, chart.title);
    assert.equal(markItems(charts[3]!.svg, 'curves'), 300);
    assert.equal(markItems(charts[3]!.svg, 'stops'), 30);
  });
});
