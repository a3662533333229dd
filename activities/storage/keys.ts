/** Store keys are relative slash-separated paths; anything that could escape the store is refused. */
import { InvalidKeyError } from '../../common/failures';

/** Validates a key (or a list prefix when `allowTrailingSlash`); returns it unchanged or throws `InvalidKeyError`. */
export function validateKey(key: string, { allowEmpty = false, allowTrailingSlash = false } = {}): string {
  if (typeof key !== 'string') throw new InvalidKeyError(String(key), 'must be a string');
  if (key === '') {
    if (allowEmpty) return key;
    throw new InvalidKeyError(key, 'must not be empty');
  }
  if (key.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(key))
    throw new InvalidKeyError(key, 'must be relative, not absolute');
  if (key.includes('\\')) throw new InvalidKeyError(key, 'must use / as separator');
  if ([...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new InvalidKeyError(key, 'must not contain control characters');
  if (Buffer.byteLength(key) > 1024) throw new InvalidKeyError(key, 'must be at most 1024 bytes');
  const segments = key.split('/');
  if (allowTrailingSlash && segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '..' || segment === '.') throw new InvalidKeyError(key, 'must not contain . or .. segments');
    if (segment === '') throw new InvalidKeyError(key, 'must not contain empty segments (//)');
  }
  return key;
}

/** Validates a list prefix: like a key, but may be empty or end with `/`. */
export function validatePrefix(prefix: string): string {
  return validateKey(prefix, { allowEmpty: true, allowTrailingSlash: true });
}
