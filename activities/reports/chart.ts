/**
 * Charts as inline SVG: a vega-lite spec is compiled to vega and rendered by a headless vega
 * `View` (renderer `none`, then `toSVG()`), so no canvas, browser or network is involved.
 * vega and vega-lite ship as ES modules only; this CommonJS code loads them once through a dynamic
 * `import()`, which works from CommonJS on every supported Node.
 */
import type * as Vega from 'vega' with { 'resolution-mode': 'import' };
import type * as VegaLite from 'vega-lite' with { 'resolution-mode': 'import' };
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };

/** A vega-lite spec (re-exported so callers need not import the ES module's types themselves). */
export type ChartSpec = TopLevelSpec;

type VegaModules = readonly [typeof Vega, typeof VegaLite];

let loading: Promise<VegaModules> | undefined;

function loadVega(): Promise<VegaModules> {
  loading ??= Promise.all([import('vega'), import('vega-lite')]).catch((error: unknown) => {
    loading = undefined; // let a later call try again rather than cache the failure
    throw error;
  });
  return loading;
}

/** The look shared by every report chart; a spec's own `config` entries win. */
const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { gridColor: '#eee', domainColor: '#888', tickColor: '#888', labelColor: '#333', titleColor: '#222' },
  legend: { labelLimit: 220 },
  title: { anchor: 'start', fontSize: 13 },
} as const;

/** Renders a vega-lite spec to a standalone SVG string (warnings of vega and vega-lite are silenced). */
export async function renderChart(spec: ChartSpec): Promise<string> {
  const [vega, vegaLite] = await loadVega();
  const config = { ...CHART_CONFIG, ...spec.config } as TopLevelSpec['config'];
  const compiled = vegaLite.compile({ ...spec, config } as TopLevelSpec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Gives the ids inside an SVG (vega's clip paths and gradients, numbered per process) names unique
 * to `scope`, in order of appearance, so several charts can share one HTML page and the same
 * chart always comes out the same.
 */
export function scopeSvgIds(svg: string, scope: string): string {
  const names = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    const id = match[1]!;
    if (!names.has(id)) names.set(id, `${scope}-${names.size + 1}`);
  }
  if (names.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (all, open: string, id: string, close: string) =>
      names.has(id) ? `${open}${names.get(id)}${close}` : all,
    )
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (names.has(id) ? `url(#${names.get(id)})` : all))
    .replace(/(href=")#([^"]+)(")/g, (all, open: string, id: string, close: string) =>
      names.has(id) ? `${open}#${names.get(id)}${close}` : all,
    );
}
