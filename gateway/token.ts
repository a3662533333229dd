/**
 * The admin token: `MLOPS_GATEWAY_TOKEN` when set, else a random token generated once into
 * `<home>/gateway/admin-token` (mode 0600) and reused on every start. Clients of the admin API
 * (the serving backend, tests) read it the same way with `readAdminToken`.
 *
 * As ssh does with private keys, a token file that its group or others may read or write is
 * refused (naming the file and the fix) every time it is read, and so is a token shorter than
 * `MIN_ADMIN_TOKEN_LENGTH` characters from either source.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors';

/** Fewest characters an admin token may have (a generated one has 32). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Where the gateway keeps its files under the home folder. */
export function gatewayPaths(home: string): { dir: string; stateFile: string; tokenFile: string; logFile: string } {
  const dir = path.join(home, 'gateway');
  return {
    dir,
    stateFile: path.join(dir, 'state.json'),
    tokenFile: path.join(dir, 'admin-token'),
    logFile: path.join(home, 'logs', 'gateway.log'),
  };
}

/** The token from `envToken`, else the one in `tokenFile` (created with a fresh random token if absent). */
export function ensureAdminToken(tokenFile: string, envToken?: string): string {
  if (envToken && envToken.trim() !== '') return checkLength(envToken.trim(), 'MLOPS_GATEWAY_TOKEN');
  const existing = readTokenFile(tokenFile);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(tokenFile), { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  try {
    // 'wx': if another process created it meanwhile, theirs wins and is read below
    fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const written = readTokenFile(tokenFile);
  if (!written) throw new Error(`${tokenFile}: could not read the admin token back`);
  return written;
}

/** The admin token a client should send: `envToken` when set, else the token file's; `undefined` when neither exists. */
export function readAdminToken(tokenFile: string, envToken?: string): string | undefined {
  if (envToken && envToken.trim() !== '') return envToken.trim();
  return readTokenFile(tokenFile);
}

/** The file's token; `undefined` when there is no file or it is empty; a `UserError` when it is not safe to use. */
function readTokenFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new UserError(`${file}: is a symbolic link; the admin token file must be a plain file`, 2);
    throw new UserError(`${file}: cannot be read (${code ?? (err as Error).message})`, 1);
  }
  try {
    // checked on the open file, so the file read is the file checked
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UserError(`${file}: is not a plain file`, 2);
    if ((stat.mode & 0o077) !== 0) {
      throw new UserError(
        `${file}: the admin token file is accessible to its group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); run \`chmod 600 ${file}\``,
        2,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && uid !== 0 && stat.uid !== uid) {
      throw new UserError(`${file}: the admin token file belongs to another user (uid ${stat.uid})`, 2);
    }
    const token = fs.readFileSync(fd, 'utf8').trim();
    return token === '' ? undefined : checkLength(token, file);
  } finally {
    fs.closeSync(fd);
  }
}

function checkLength(token: string, source: string): string {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new UserError(
      `${source}: the admin token has ${token.length} characters, fewer than ${MIN_ADMIN_TOKEN_LENGTH}; use a longer random one (e.g. \`openssl rand -base64 32\`)`,
      2,
    );
  }
  return token;
}
