/**
 * The codec server's bearer token: `MLOPS_CODEC_TOKEN` when set, else a random token generated once
 * into `<home>/codec/token` (mode 0600) and reused. `mlops codec-server` requires it on every
 * `/encode` and `/decode`; `mlops dev up --ui-codec-endpoint` reads the same file so the Temporal UI
 * it starts presents it. A token is at least 32 characters of `A-Z a-z 0-9 - _ . ~` (it may ride
 * in the endpoint's path, where the dev UI cannot send a header).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../common/errors';

/** Shortest token accepted. */
export const MIN_CODEC_TOKEN_LENGTH = 32;
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

/** Where the generated token lives under the home folder. */
export function codecTokenFile(home: string): string {
  return path.join(home, 'codec', 'token');
}

/** Why `token` is not acceptable, or `undefined` when it is (the message never quotes it). */
export function codecTokenProblem(token: string): string | undefined {
  if (token.length < MIN_CODEC_TOKEN_LENGTH)
    return `must be at least ${MIN_CODEC_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24); it has ${token.length}`;
  if (!TOKEN_CHARS.test(token)) return 'may hold only letters, digits and - _ . ~';
  return undefined;
}

/**
 * The token from `envToken` (MLOPS_CODEC_TOKEN), else the one in `file`, created with a fresh random
 * token if absent. A bad token is a `UserError` naming where it came from (exit 2).
 */
export function ensureCodecToken(file: string, envToken?: string): string {
  const given = envToken?.trim();
  if (given) return checked('MLOPS_CODEC_TOKEN', given);
  const existing = readToken(file);
  if (existing !== undefined) return checked(file, existing);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx': if another process created it meanwhile, theirs wins and is read below
    fs.writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const written = readToken(file);
  if (written === undefined) throw new UserError(`${file}: could not read the codec token back`, 1);
  return checked(file, written);
}

function checked(source: string, token: string): string {
  const problem = codecTokenProblem(token);
  if (problem) throw new UserError(`${source}: the codec token ${problem}`, 2);
  return token;
}

function readToken(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${file}: cannot read the codec token (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 1);
  }
  const mode = fs.statSync(file).mode & 0o077;
  if (mode !== 0 && process.platform !== 'win32')
    throw new UserError(`${file}: the codec token file is readable by others; chmod 600 ${file}`, 2);
  return text === '' ? undefined : text;
}
