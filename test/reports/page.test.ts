/** The generic report layer: vega-lite charts rendered headless to SVG, and the self-contained HTML page. */
import assert from 'node:assert/strict';
import { escapeHtml, renderChart, renderPage, type ChartSpec } from '../../activities/reports';
import { facts, figures, markItems, section, tableColumns, tableRows } from './html-parts';

const bars: ChartSpec = {
  data: { values: [1, 2, 3].map((x) => ({ x, y: x * x })) },
  layer: [
    {
      name: 'bars',
      mark: { type: 'bar', clip: true },
      encoding: { x: { field: 'x', type: 'ordinal' }, y: { field: 'y', type: 'quantitative' } },
    },
  ],
};

describe('report pages', function () {
  this.timeout(30_000);

  it('renders a vega-lite spec to an SVG with one mark per datum', async function () {
    const svg = await renderChart(bars);
    assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    assert.equal(markItems(svg, 'bars'), 3);
  });

  it('builds a page of facts, tables and charts, all text escaped, ids unique across charts', async function () {
    const svg = await renderChart(bars);
    assert.match(svg, /id="clip\d+"/, 'the clipped layer defines a clip path');
    const html = renderPage({
      title: 'A <report>',
      subtitle: 'about "things"',
      meta: [['run', 'r/1 & <2>']],
      sections: [
        { heading: 'Numbers & facts', blocks: [{ kind: 'facts', items: [['a<b', "it's"]] }] },
        {
          heading: 'Table',
          blocks: [
            {
              kind: 'table',
              table: {
                columns: [{ label: 'name' }, { label: 'value', numeric: true }],
                rows: [
                  { cells: ['<i>x</i>', 1], highlight: true },
                  { cells: ['y', { text: 'NaN', className: 'non-finite' }], muted: true },
                ],
              },
            },
          ],
        },
        {
          heading: 'Charts',
          blocks: [
            {
              kind: 'charts',
              charts: [
                { title: 'one', svg },
                { title: 'two', svg, caption: '<caption>' },
              ],
            },
          ],
        },
      ],
    });
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>A &lt;report&gt;<\/title>/);
    assert.equal((html.match(/<style>/g) ?? []).length, 1);
    assert.doesNotMatch(html, /<i>|<caption>/);
    assert.deepEqual(facts(html), { run: 'r/1 & <2>', 'a<b': "it's" });
    assert.deepEqual(
      [...html.matchAll(/<a href="(#[^"]+)">/g)].map((m) => m[1]),
      ['#numbers-facts', '#table', '#charts'],
    );
    assert.deepEqual(tableColumns(section(html, 'table')), ['name', 'value']);
    assert.deepEqual(tableRows(section(html, 'table')), [
      { classes: ['highlight'], cells: ['<i>x</i>', '1'] },
      { classes: ['muted'], cells: ['y', 'NaN'] },
    ]);
    const [one, two] = figures(html);
    assert.deepEqual([one!.title, two!.title, two!.caption], ['one', 'two', '<caption>']);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids.join(' ')}`);
    for (const ref of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref[1]), `dangling url(#${ref[1]})`);
  });

  it('escapes the five HTML-special characters', function () {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
