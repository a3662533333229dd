/**
 * The HTML page every report is: a header (title, subtitle, key-value facts), sections of
 * paragraphs, facts, tables and inline SVG charts, and one inline stylesheet. Every piece of text
 * is escaped here; the only markup passed through is chart SVG from `renderChart`. The page loads
 * nothing (no scripts, fonts or images from anywhere), so a saved report opens offline.
 */
import { scopeSvgIds } from './chart';
import { REPORT_STYLE } from './style';

/** A table cell: text (or a number shown as is), optionally styled by a class of the stylesheet. */
export type Cell = string | number | { text: string; className?: string; title?: string };

export interface TableRow {
  cells: readonly Cell[];
  /** Emphasized (e.g. the best trial). */
  highlight?: boolean;
  /** De-emphasized (e.g. a failed trial). */
  muted?: boolean;
}

export interface Table {
  columns: readonly { label: string; numeric?: boolean }[];
  rows: readonly TableRow[];
  caption?: string;
}

export interface Chart {
  /** Shown above the chart; also its accessible name. */
  title: string;
  /** SVG from `renderChart`. */
  svg: string;
  caption?: string;
}

export type Block =
  | { kind: 'paragraph'; text: string; className?: string }
  | { kind: 'note'; text: string }
  | { kind: 'facts'; items: readonly (readonly [string, string])[] }
  | { kind: 'table'; table: Table }
  | { kind: 'charts'; charts: readonly Chart[] };

export interface Section {
  heading: string;
  blocks: readonly Block[];
}

export interface Page {
  title: string;
  subtitle?: string;
  /** Facts shown under the title (run id, generated at …). */
  meta?: readonly (readonly [string, string])[];
  sections: readonly Section[];
  footer?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** The whole page as one self-contained HTML document. */
export function renderPage(page: Page): string {
  const ids = new SectionIds();
  const sections = page.sections.map((section) => ({ ...section, id: ids.next(section.heading) }));
  let chartCount = 0;
  const nextChartScope = () => `chart${++chartCount}`;
  const nav =
    sections.length > 2
      ? `<nav><ul>${sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.heading)}</a></li>`).join('')}</ul></nav>`
      : '';
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    page.subtitle === undefined ? '' : `<p class="subtitle">${escapeHtml(page.subtitle)}</p>`,
    page.meta && page.meta.length > 0 ? facts(page.meta, 'meta') : '',
    nav,
    '</header>',
    '<main>',
    ...sections.map(
      (section) =>
        `<section id="${section.id}">\n<h2>${escapeHtml(section.heading)}</h2>\n` +
        section.blocks.map((block) => renderBlock(block, nextChartScope)).join('\n') +
        '\n</section>',
    ),
    '</main>',
    page.footer === undefined ? '' : `<footer>${escapeHtml(page.footer)}</footer>`,
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function renderBlock(block: Block, nextChartScope: () => string): string {
  switch (block.kind) {
    case 'paragraph':
      return block.className === undefined
        ? `<p>${escapeHtml(block.text)}</p>`
        : `<p class="${escapeHtml(block.className)}">${escapeHtml(block.text)}</p>`;
    case 'note':
      return `<p class="note">${escapeHtml(block.text)}</p>`;
    case 'facts':
      return facts(block.items, 'facts');
    case 'table':
      return table(block.table);
    case 'charts':
      return `<div class="charts">\n${block.charts.map((chart) => figure(chart, nextChartScope())).join('\n')}\n</div>`;
  }
}

function facts(items: readonly (readonly [string, string])[], className: string): string {
  const rows = items.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`);
  return `<dl class="${className}">${rows.join('')}</dl>`;
}

function table(t: Table): string {
  const head = t.columns
    .map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.label)}</th>`)
    .join('');
  const body = t.rows.map((row) => {
    const classes = [row.highlight ? 'highlight' : '', row.muted ? 'muted' : ''].filter(Boolean).join(' ');
    const cells = row.cells.map((cell, i) => tableCell(cell, t.columns[i]?.numeric === true)).join('');
    return `<tr${classes ? ` class="${classes}"` : ''}>${cells}</tr>`;
  });
  const caption = t.caption === undefined ? '' : `<caption>${escapeHtml(t.caption)}</caption>`;
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

function tableCell(cell: Cell, numeric: boolean): string {
  const { text, className, title } = typeof cell === 'object' ? cell : { text: String(cell) };
  const classes = [numeric ? 'num' : '', className ?? ''].filter(Boolean).join(' ');
  const attrs = (classes ? ` class="${escapeHtml(classes)}"` : '') + (title ? ` title="${escapeHtml(title)}"` : '');
  return `<td${attrs}>${escapeHtml(text)}</td>`;
}

function figure(chart: Chart, scope: string): string {
  const caption = chart.caption === undefined ? '' : `\n<p class="caption">${escapeHtml(chart.caption)}</p>`;
  return (
    `<figure class="chart" aria-label="${escapeHtml(chart.title)}">\n` +
    `<figcaption>${escapeHtml(chart.title)}</figcaption>\n${scopeSvgIds(chart.svg, scope)}${caption}\n</figure>`
  );
}

/** Unique, URL-safe section ids derived from headings. */
class SectionIds {
  private readonly used = new Set<string>();

  next(heading: string): string {
    const base =
      heading
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'section';
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
    this.used.add(id);
    return id;
  }
}
