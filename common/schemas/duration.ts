/** Zod schemas of durations (./duration.ts), for specs and CLI input. */
import { z } from 'zod';
import { isDuration, parseDuration, WHOLE } from '../duration';

/** A duration string (zero allowed). */
export const durationSchema = z
  .string()
  .regex(WHOLE, 'not a duration: use a number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 24h, 7d')
  .refine((text) => !WHOLE.test(text) || isDuration(text), 'too long: at most 3650d');

/** A duration string greater than zero. */
export const positiveDurationSchema = durationSchema.refine(
  (text) => !isDuration(text) || parseDuration(text) > 0,
  'must be longer than zero',
);

/**
 * A duration of at least `min` (e.g. `'1s'`): for intervals a workflow waits between steps, where
 * `1ms` would spin a timer loop that fills the history and loads the worker.
 */
export function minDurationSchema(min: string) {
  const minMs = parseDuration(min);
  return positiveDurationSchema.refine(
    (text) => !isDuration(text) || parseDuration(text) >= minMs,
    `must be at least ${min}`,
  );
}
