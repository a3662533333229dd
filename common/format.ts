/** Small formatting helpers shared by workflow details and CLI output (pure: safe in workflows). */

/** `1.5 MiB` style sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A two-column markdown table (key, value) for `setCurrentDetails`. */
export function markdownKeyValues(rows: readonly (readonly [string, string])[]): string {
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`)].join('\n');
}

/** The first 12 characters of a content id, as shown to people. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
