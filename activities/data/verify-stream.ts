/** Pass-through streams that check, when the data ends, that it was what the caller expected. */
import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';

/** Pipes `source` through a digest check; the result errors with `onMismatch()` if the bytes are not `digest`. */
export function verifyStream(source: Readable, digest: string, size: number, onMismatch: () => Error): Readable {
  const hash = createHash('sha256');
  let seen = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(seen === size && hash.digest('hex') === digest ? null : onMismatch());
    },
  });
  // Errors of either stream reach `check`, which is what the consumer reads.
  return pipeline(source, check, () => undefined);
}

/** Pipes `source` through a check run when it ends: the result errors with what `check` returns, if anything. */
export function checkAtEnd(source: Readable, check: () => Promise<Error | undefined>): Readable {
  const checker = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      check().then((error) => callback(error ?? null), callback);
    },
  });
  return pipeline(source, checker, () => undefined);
}
