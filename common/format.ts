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

/** `k=v` pairs of params (objects as JSON), the first `max` of them, for summaries and tables. */
export function describeParams(params: Record<string, unknown>, max = Infinity): string {
  return Object.entries(params)
    .slice(0, max)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** A metric value for people: integers as they are, others to 4 significant digits, `—` when absent. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return '—';
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** The innermost message of a failure chain (an activity's own message, not "Activity task failed"). */
export function innermostMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
