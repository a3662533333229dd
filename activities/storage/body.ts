/** Helpers shared by the stores for the `Body` union: streams as-is, bytes and strings wrapped. */
import { Readable } from 'node:stream';
import type { Body } from './types';

/** A body that can be sent more than once (bytes or a string, not a stream). */
export type ReplayableBody = Exclude<Body, Readable>;

/** Whether `body` can be read again, e.g. to retry a conditional write. */
export function isReplayable(body: Body): body is ReplayableBody {
  return !(body instanceof Readable);
}

/** The body as a byte stream (a stream is returned unchanged). */
export function toReadable(body: Body): Readable {
  if (body instanceof Readable) return body;
  return Readable.from([toBuffer(body)], { objectMode: false });
}

/** The bytes of a replayable body, without copying where possible. */
export function toBuffer(body: ReplayableBody): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Releases a stream body that will not be read (e.g. `putIfAbsent` on an existing key). */
export function discardBody(body: Body): void {
  if (body instanceof Readable) body.destroy();
}

/** Reads a whole stream into memory; for small objects only. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
