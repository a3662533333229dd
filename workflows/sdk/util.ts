/** Small pure helpers of the blocks. */

/** JSON with object keys sorted, so equal configs give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A store key segment: characters outside [A-Za-z0-9._-] become `_`. */
export function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The finite numbers of a metrics record. */
export function numbers(metrics: Record<string, number | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

export function prefixed(metrics: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** The first `n` entries of a metrics record. */
export function pick(metrics: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).slice(0, n));
}

/** Workflow time (deterministic in the sandbox) as ISO text. */
export function now(): string {
  return new Date().toISOString();
}
