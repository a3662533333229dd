/**
 * Keeping the worker's secrets out of what leaves it (notifications, a failed job's log tail in a
 * failure message, a model server's log in a deploy failure): every occurrence of a secret VALUE
 * is replaced by `[redacted]`, whatever the text quoted and wherever the value came from.
 *
 * The values hidden (`secretValues`):
 * - every value of a variable whose name looks secret (`…SECRET…`, `…TOKEN…`, `…PASSWORD…`,
 *   `…KEY…`; `…KEY_ID` names such as AWS_ACCESS_KEY_ID are identifiers, not secrets);
 * - the known secret settings whatever their names look like: AWS_SECRET_ACCESS_KEY,
 *   AWS_SESSION_TOKEN, TEMPORAL_API_KEY, MLOPS_GATEWAY_TOKEN, MLOPS_CODEC_KEYS (the whole value
 *   and each key in it), and every webhook URL (variables starting with the webhook prefix);
 * - `extra` values the caller knows (the store's secret key from the dev stack file, the gateway
 *   token from its file, the codec keys from a key file, a webhook URL);
 * each also in its base64, base64url and URL-encoded forms.
 */

import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const REDACTED = '[redacted]';

/** The webhook prefix the notifications use when the worker sets none (MLOPS_WEBHOOK_ENV_PREFIX). */
export const DEFAULT_WEBHOOK_ENV_PREFIX = 'MLOPS_WEBHOOK_';

/** Names that look secret; `…KEY_ID` names (e.g. AWS_ACCESS_KEY_ID) are identifiers, not secrets. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|KEY/i;
const NOT_SECRET_NAME = /KEY_ID$/i;
/** Settings that hold secrets whatever their names look like. */
const KNOWN_SECRET_SETTINGS = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'TEMPORAL_API_KEY',
  'MLOPS_GATEWAY_TOKEN',
  'MLOPS_CODEC_KEYS',
] as const;
/** Shorter values (`true`, `1`) are not credentials, and replacing them would garble every message. */
const MIN_SECRET_LENGTH = 8;

export interface SecretValueOptions {
  /** Variables starting with this hold webhook URLs (all secret). @default 'MLOPS_WEBHOOK_' */
  webhookEnvPrefix?: string;
}

/** The values to hide, found in `env` (see the module comment) plus `extra`, in all their encodings, longest first. */
export function secretValues(
  env: Readonly<Record<string, string | undefined>>,
  extra: readonly string[] = [],
  options: SecretValueOptions = {},
): string[] {
  const prefix = options.webhookEnvPrefix ?? DEFAULT_WEBHOOK_ENV_PREFIX;
  const found: string[] = [...extra];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const known = (KNOWN_SECRET_SETTINGS as readonly string[]).includes(name);
    const webhook = prefix !== '' && name.startsWith(prefix);
    if (known || webhook || (SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name))) found.push(value);
  }
  found.push(...codecKeysIn(env.MLOPS_CODEC_KEYS));
  const values = new Set<string>();
  for (const raw of found) {
    const value = raw.trim();
    if (value.length < MIN_SECRET_LENGTH) continue;
    for (const form of encodings(value)) values.add(form);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A JSON-like value with every string in it (keys included) redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), redactDeep(v, secrets)])) as T;
  return value;
}

/** Each key of an `id:base64key,…` value of MLOPS_CODEC_KEYS (the ids are not secret). */
function codecKeysIn(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
    .filter((key) => key !== '');
}

/** The value as it is, base64 (padded and not), base64url and URL-encoded. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  return [value, base64, base64.replace(/=+$/, ''), bytes.toString('base64url'), encodeURIComponent(value)];
}

/** A line longer than this is redacted and passed on in pieces (a secret split across two is missed). */
const MAX_CARRIED_LINE = 1 << 20;

/**
 * A text stream with every secret replaced, line by line (secrets hold no newline): what a job
 * printed on its way to the store (`logs/job.log`), however long, in bounded memory.
 */
export function redactingStream(secrets: readonly string[]): Transform {
  let carry = '';
  const decoder = new StringDecoder('utf8');
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _encoding, done) {
      const text = carry + decoder.write(chunk);
      const end = text.lastIndexOf('\n') + 1;
      const complete = end > 0 ? text.slice(0, end) : text.length > MAX_CARRIED_LINE ? text : '';
      carry = text.slice(complete.length);
      done(null, complete === '' ? undefined : redact(complete, secrets));
    },
    flush(done) {
      const rest = carry + decoder.end();
      done(null, rest === '' ? undefined : redact(rest, secrets));
    },
  });
}
