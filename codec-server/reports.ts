/**
 * The codec server's read-only report route, `GET /reports/<key>`: the store's HTML reports
 * (evaluations, sweeps, drift windows) for a browser that cannot open `s3://`. It serves a key
 * only under `reports/evaluations/`, `reports/sweeps/` or `reports/monitoring/`, ending in
 * `.html`, with no `.`, `..` or empty segment; it lists nothing, and answers 404 alike for a key
 * refused and a key absent. Reports are self-contained pages (inline styles and SVG), so they are
 * sent with a Content-Security-Policy that loads nothing and runs no script.
 */
import type http from 'node:http';
import { NotFoundError } from '../common/failures';
import type { BlobStore } from '../activities/storage/types';

const REPORT_KEY = /^reports\/(evaluations|sweeps|monitoring)\/([A-Za-z0-9._~-]+\/)*[A-Za-z0-9._~-]+\.html$/;

/** Whether a request path is the report route's (`/reports` or below). */
export function isReportPath(pathname: string): boolean {
  return pathname === '/reports' || pathname.startsWith('/reports/');
}

/** The store key a request path names, or undefined when it is no report's key. */
export function reportKeyOf(pathname: string): string | undefined {
  let key: string;
  try {
    key = decodeURIComponent(pathname.slice(1));
  } catch {
    return undefined;
  }
  if (!REPORT_KEY.test(key)) return undefined;
  return key.split('/').every((seg) => seg !== '.' && seg !== '..') ? key : undefined;
}

/** Answers a request on the report route from `store`. */
export async function serveReport(
  store: BlobStore,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
  log: (line: string) => void,
): Promise<void> {
  req.resume();
  const text = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'use GET\n', { allow: 'GET, HEAD' });
  const key = reportKeyOf(pathname);
  if (!key) return text(404, 'no such report\n');
  let body: Buffer;
  try {
    body = await store.getBytes(key);
  } catch (err) {
    if (err instanceof NotFoundError) return text(404, 'no such report\n');
    log(`report ${key}: ${(err as Error)?.message ?? String(err)}`);
    return text(502, 'the store did not answer\n');
  }
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
