/** Reads the parts of a rendered report a person looks at: sections, table rows, charts and their marks. */

export interface Figure {
  title: string;
  svg: string;
  caption: string;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** Markup to the text a browser shows. */
export function textOf(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!);
}

/** The markup of the section with this id. */
export function section(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  if (!match) throw new Error(`no section #${id}`);
  return match[1]!;
}

/** The body rows of the first table in `html`: each row's classes and cell texts. */
export function tableRows(html: string): { classes: string[]; cells: string[] }[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr(?: class="([^"]*)")?>([\s\S]*?)<\/tr>/g)].map((row) => ({
    classes: (row[1] ?? '').split(' ').filter(Boolean),
    cells: [...row[2]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1]!)),
  }));
}

/** The column labels of the first table in `html`. */
export function tableColumns(html: string): string[] {
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(html)?.[1] ?? '';
  return [...head.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((cell) => textOf(cell[1]!));
}

/** The charts in `html`, in page order. */
export function figures(html: string): Figure[] {
  return [...html.matchAll(/<figure class="chart"[^>]*>([\s\S]*?)<\/figure>/g)].map((figure) => {
    const inner = figure[1]!;
    return {
      title: textOf(/<figcaption>([\s\S]*?)<\/figcaption>/.exec(inner)?.[1] ?? ''),
      svg: /<svg[\s\S]*<\/svg>/.exec(inner)?.[0] ?? '',
      caption: textOf(/<p class="caption">([\s\S]*?)<\/p>/.exec(inner)?.[1] ?? ''),
    };
  });
}

/**
 * Drawn items of a named chart layer (`name` in the vega-lite spec): symbols of a point layer, or
 * the paths of a line layer (one per line).
 */
export function markItems(svg: string, layer: string): number {
  const groups = [
    ...svg.matchAll(new RegExp(`<g class="mark-\\w+ role-mark ${layer}_marks"[^>]*>([\\s\\S]*?)</g>`, 'g')),
  ];
  return groups.reduce((n, group) => n + (group[1]!.match(/<path /g)?.length ?? 0), 0);
}

/** The accessible description vega gives the chart's x axis ("X-axis titled 'lr' for a log scale …"). */
export function xAxisLabel(svg: string): string {
  return textOf(/aria-label="(X-axis[^"]*)"/.exec(svg)?.[1] ?? '');
}

/** The key-value facts (`<dl>`) in `html`, every list merged. */
export function facts(html: string): Record<string, string> {
  const pairs = [...html.matchAll(/<dt>([\s\S]*?)<\/dt><dd>([\s\S]*?)<\/dd>/g)];
  return Object.fromEntries(pairs.map((pair) => [textOf(pair[1]!), textOf(pair[2]!)]));
}
