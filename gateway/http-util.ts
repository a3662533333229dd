/** Small HTTP helpers shared by the public and the admin server: bounded bodies, JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Thrown by `readBody` when the request cannot be read as asked; `status` is the answer to give. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the whole body, refusing (413) more than `limit` bytes without buffering the excess. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `body: ${declared} bytes is more than the limit of ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new HttpError(413, `body: more than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new HttpError(400, `body: could not be read (${err.message})`));
    });
  });
}

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses a JSON body after checking the content type (415), the syntax (400) and the nesting (400:
 * deeper than `MAX_JSON_DEPTH`, which no inference request or label needs and which would overflow
 * the stack of whatever walks it later).
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, `content-type: must be application/json, got ${JSON.stringify(type || '(none)')}`);
  }
  const body = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new HttpError(400, `body: not valid JSON (${(err as Error).message.slice(0, 200)})`);
  }
  if (jsonDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new HttpError(400, `body: nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return value;
}

/** How deeply `value` nests arrays and objects, counted without recursion and stopping past `max`. */
export function jsonDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > max) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, level]);
    }
  }
  return deepest;
}

/** Sends a JSON answer (unless the response is already under way). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends `{ error }`; a 413 also closes the connection, since the rest of the body was not read. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error }, status === 413 ? { ...headers, connection: 'close' } : headers);
}

/** The path's segments after `prefix`, URL-decoded; `undefined` when it does not start with it or is malformed. */
export function pathSegments(url: string, prefix: string): string[] | undefined {
  const pathname = url.split('?')[0] ?? '';
  if (!pathname.startsWith(prefix)) return undefined;
  try {
    return pathname
      .slice(prefix.length)
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
