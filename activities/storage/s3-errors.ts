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

/** S3 error codes that mean the credentials or permissions are refused. */
const ACCESS_DENIED_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden']);

/**
 * 403: the store refuses the credentials (wrong key or secret) or the permissions. A 403 on a
 * body-less response (HEAD) reaches the SDK as a bare `UnknownError`: the status decides.
 */
export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return httpStatus(error) === 403 || (name !== undefined && ACCESS_DENIED_CODES.has(name));
}

/** The S3 error code of an SDK error, unless it is the SDK's placeholder for none. */
export function errorCode(error: unknown): string | undefined {
  const name = errorName(error);
  return name === undefined || ['Unknown', 'UnknownError', 'Error'].includes(name) ? undefined : name;
}
