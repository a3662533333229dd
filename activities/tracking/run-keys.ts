/**
 * Run ids are workflow ids such as `retrain/churn/2026-11-27T05:42:28.992Z`: `/` and `:` cannot go
 * into a key segment as they are. `runKeyOf` escapes every UTF-8 byte outside `[A-Za-z0-9._-]` as
 * `~XX` (upper-case hex), a leading `_` too (segments starting with `_` are the tracker's own
 * indexes) and the dot segments `.` and `..`:
 *
 *   retrain/churn/2026-11-27T05:42:28.992Z  →  retrain~2Fchurn~2F2026-11-27T05~3A42~3A28.992Z
 *
 * `runIdOf` reverses it. Ids whose escaped form would pass 200 bytes (file names stop at 255)
 * are stored as `~h<sha256 prefix>` instead, which does not reverse: run.json keeps every run's
 * original id in its `run` field, and readers take the id from there.
 */
import { createHash } from 'node:crypto';

const MAX_KEY_BYTES = 200;
const SAFE_BYTE = /^[A-Za-z0-9._-]$/;

/** The store key segment of a run id (reversible by `runIdOf` unless it starts with `~h`). */
export function runKeyOf(run: string): string {
  let key = '';
  for (const byte of Buffer.from(run, 'utf8')) {
    const char = String.fromCharCode(byte);
    key += SAFE_BYTE.test(char) ? char : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (key.startsWith('_')) key = `~5F${key.slice(1)}`;
  if (key === '.' || key === '..') key = key.replace(/\./g, '~2E');
  if (key.length > MAX_KEY_BYTES) key = `~h${createHash('sha256').update(run).digest('hex').slice(0, 40)}`;
  return key;
}

/** The run id a key segment stands for, or `undefined` for hashed segments (read run.json's `run`). */
export function runIdOf(key: string): string | undefined {
  if (key.startsWith('~h')) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const hex = key[i] === '~' ? key.slice(i + 1, i + 3) : '';
    if (/^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(key.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
