/** Incremental reads of a job's log and metric stream by byte offset, safe while the job is still writing. */
import { readFrom } from '../../lib/files';
import type { MetricPoint } from './types';

/** Most bytes one read returns. */
const MAX_READ = 1024 * 1024;

/** Log text from byte offset `since`, cut before a trailing partial UTF-8 character. */
export async function readLogText(file: string, since: number): Promise<{ text: string; next: number }> {
  const bytes = wholeUtf8(await readFrom(file, since, MAX_READ));
  return { text: bytes.toString('utf8'), next: since + bytes.length };
}

/** Points of the complete NDJSON lines from byte offset `since`; malformed lines are skipped. */
export async function readMetricPoints(file: string, since: number): Promise<{ points: MetricPoint[]; next: number }> {
  const bytes = await readFrom(file, since, MAX_READ);
  const end = bytes.lastIndexOf(0x0a) + 1;
  const points: MetricPoint[] = [];
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    const point = parsePoint(line);
    if (point) points.push(point);
  }
  return { points, next: since + end };
}

/** The point on one NDJSON line, or `undefined` for a blank or malformed line. */
export function parsePoint(line: string): MetricPoint | undefined {
  if (line.trim() === '') return undefined;
  try {
    const { step, name, value } = JSON.parse(line) as Partial<MetricPoint>;
    if (typeof step !== 'number' || typeof name !== 'string' || typeof value !== 'number') return undefined;
    return { step, name, value };
  } catch {
    return undefined;
  }
}

/** `bytes` without a trailing partial UTF-8 sequence. */
export function wholeUtf8(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
}
