/** Classifies errors from the S3 API (AWS, MinIO, R2 …) by HTTP status and error code. */

/** The HTTP status of an S3 SDK error, if it carries one. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata as { httpStatusCode?: unknown } | undefined;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The object (or, for If-Match, the object to compare with) does not exist. */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'NoSuchBucket') return false; // a setup problem, not an absent object
  return httpStatus(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** 412: an If-Match / If-None-Match condition did not hold. */
export function isPreconditionFailed(error: unknown): boolean {
  return httpStatus(error) === 412 || errorName(error) === 'PreconditionFailed';
}

/** 409: another conditional write to the same key was in flight; the outcome is unknown, so re-read. */
export function isConditionalConflict(error: unknown): boolean {
  return httpStatus(error) === 409 || errorName(error) === 'ConditionalRequestConflict';
}
