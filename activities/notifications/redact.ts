/**
 * Keeping secrets out of notifications: every value of an environment variable whose name looks
 * secret is replaced by `[redacted]` in every string sent, whatever the message quoted.
 */

export const REDACTED = '[redacted]';

/** Names that look secret; `…KEY_ID` names (e.g. AWS_ACCESS_KEY_ID) are identifiers, not secrets. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|KEY/i;
const NOT_SECRET_NAME = /KEY_ID$/i;
/** Shorter values (`true`, `1`) are not credentials, and replacing them would garble every message. */
const MIN_SECRET_LENGTH = 8;

/** The values to hide: secret-looking variables of `env` plus `extra` (e.g. the webhook URL), longest first. */
export function secretValues(
  env: Readonly<Record<string, string | undefined>>,
  extra: readonly string[] = [],
): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    if (name === 'AWS_SECRET_ACCESS_KEY' || (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name))) values.add(value);
  }
  for (const value of extra) if (value.length > 0) values.add(value);
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A JSON-like value with every string in it redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), redactDeep(v, secrets)])) as T;
  return value;
}
