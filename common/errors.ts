/**
 * Error classes shared by the CLI, the worker and activities. A `UserError` is a mistake the user
 * can fix (bad config, bad argument, busy port): the CLI prints its message without a stack and
 * exits with its `exitCode`. Anything else is unexpected and printed with its stack.
 */

/** Thrown when the user's input, environment or request cannot be honoured as given. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(
    message: string,
    readonly exitCode: number = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown when an operation cannot succeed as asked and retrying will not help (a missing model, a
 * malformed CSV). `type` is stable: activity wrappers turn it into a non-retryable
 * `ApplicationFailure` of that type (activities/failures.ts), which workflows and the CLI match on.
 */
export abstract class PermanentError extends UserError {
  abstract readonly type: string;
  /** Structured facts for the failure's details (e.g. a report key). */
  readonly details?: unknown;
}

/** Thrown when a name (model, alias, pipeline, metric…) breaks its naming rule. Exit code 2, as for any bad input. */
export class InvalidNameError extends PermanentError {
  override readonly name = 'InvalidNameError';
  readonly type = 'InvalidName';
  constructor(
    readonly field: string,
    readonly value: unknown,
    rule: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not a valid name: ${rule}`, 2);
  }
}

/** Thrown when an argument is missing or malformed; the message starts with the field's path. Exit code 2. */
export class InvalidArgumentError extends PermanentError {
  override readonly name = 'InvalidArgumentError';
  readonly type = 'InvalidArgument';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`, 2);
  }
}

/** Thrown when configuration (environment variables, files) is invalid. Exit code 2. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly string[]) {
    super(issues.join('\n'), 2);
  }
}

/** Thrown when a store key is not a safe relative path (`..`, absolute, empty segments). */
export class InvalidKeyError extends UserError {
  override readonly name = 'InvalidKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid store key ${JSON.stringify(key)}: ${reason}`, 2);
  }
}

/** Thrown when a store object that must exist does not. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly key: string) {
    super(`no object at ${key}`);
  }
}

/** Thrown when a conditional write lost: the object changed (or appeared) since it was read. */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(
    readonly key: string,
    readonly expected: string | null,
  ) {
    super(
      expected === null ? `object ${key} already exists` : `object ${key} changed: its etag is no longer ${expected}`,
    );
  }
}
