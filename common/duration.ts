/**
 * Durations as people write them in pipeline specs, Temporal style: `30s`, `5m`, `24h`, `7d`, or
 * several parts at once (`1h30m`). Pure and free of zod: safe and cheap in workflow code (the schemas
 * are in ./schemas/duration.ts).
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
/** A whole duration: one or more number-unit parts. */
export const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** The longest duration accepted, 3650d (about 10 years): anything longer is a typo, and overflows timers. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/** Milliseconds in a duration such as `30s`, `5m`, `24h`, `7d` or `1h30m`; throws on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) {
    throw new Error(
      `${JSON.stringify(text)} is not a duration: use a number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 24h, 7d`,
    );
  }
  const total = sumParts(trimmed);
  if (!(total <= MAX_DURATION_MS)) throw new Error(`${JSON.stringify(text)} is too long: at most 3650d`);
  return total;
}

/** Whether `text` parses as a duration (of at most 3650d). */
export function isDuration(text: string): boolean {
  const trimmed = text.trim();
  return WHOLE.test(trimmed) && sumParts(trimmed) <= MAX_DURATION_MS;
}

function sumParts(trimmed: string): number {
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART))
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Math.round(total);
}
