/** The one stylesheet of every report, and the status colours its tables and charts share. */

/** Colours of run and trial statuses, the same in table badges and chart marks. */
export const STATUS_COLORS: Readonly<Record<string, string>> = {
  succeeded: '#4c78a8',
  'stopped-early': '#f58518',
  running: '#54a24b',
  cancelled: '#9d9d9d',
  failed: '#e45756',
};

/** The colour of anything emphasized as best (row, line, point ring). */
export const BEST_COLOR = '#1b1b1b';

const statusRules = Object.entries(STATUS_COLORS)
  .map(([status, color]) => `.status-${status}{color:${color};font-weight:600}`)
  .join('');

export const REPORT_STYLE = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;padding:1.5rem 2rem 3rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b;background:#fafafa}
header{border-bottom:1px solid #ddd;margin-bottom:1rem;padding-bottom:.5rem}
h1{font-size:1.6rem;margin:0 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.75rem 0 .75rem;border-bottom:1px solid #e5e5e5;padding-bottom:.25rem}
.subtitle{margin:0 0 .5rem;color:#555}
nav ul{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
a{color:#2f5f8f}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dt{color:#555}
dd{margin:0;overflow-wrap:anywhere}
.note{color:#666;font-style:italic}
.table-wrap{overflow:auto;max-width:100%;width:fit-content;max-height:36rem;border:1px solid #eee}
table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#555;padding:.25rem 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.3rem .6rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;max-width:28rem}
th{position:sticky;top:0;background:#f0f0f0;font-weight:600}
.num{text-align:right;white-space:nowrap}
tr.highlight td{background:#fff4cc;font-weight:600}
tr.muted td{color:#777}
.best-mark{color:#b8860b}
.non-finite{color:#b00020;font-style:italic}
.better{color:#2e7d32;font-weight:600}
.worse{color:#c62828;font-weight:600}
.decision-passed,.decision-rejected{font-size:1.1rem;font-weight:700;padding:.4rem .75rem;border-radius:4px;width:fit-content}
.decision-passed{color:#1b5e20;background:#e8f5e9}
.decision-rejected{color:#b71c1c;background:#ffebee}
${statusRules}
.charts{display:flex;flex-wrap:wrap;gap:1.25rem}
figure.chart{margin:0;padding:.75rem;background:#fff;border:1px solid #e5e5e5;border-radius:4px;max-width:100%}
figcaption{font-weight:600;margin-bottom:.4rem;overflow-wrap:anywhere}
figure.chart svg{display:block;max-width:100%;height:auto}
.caption{color:#555;margin:.4rem 0 0;max-width:40rem}
footer{margin-top:2rem;color:#777;font-size:.85rem}
@media print{body{background:#fff;padding:0}th{position:static}.table-wrap{max-height:none;overflow:visible}}
`.trim();
