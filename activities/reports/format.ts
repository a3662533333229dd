/** How values read in report tables and captions. */

/** A metric value: four significant digits, exponent form when very large or small; NaN and ±Infinity by name. */
export function formatMetric(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** A param value as text: numbers to six significant digits, text as is, anything else as JSON. */
export function formatParam(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return formatMetric(value);
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') return value;
  if (value === undefined) return '—';
  return JSON.stringify(value) ?? String(value);
}

/** `1, 2, 3 and 4 more` */
export function listSome(items: readonly (string | number)[], max = 20): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/** `1 trial` / `3 trials` */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
