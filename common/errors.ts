/**
 * Errors of the processes themselves (the CLI, the worker, the gateway) that the user fixes: a bad
 * flag, bad configuration, a busy port. The CLI prints a `UserError`'s message without a stack
 * and exits with its `exitCode` (client/exit-codes.ts). Failures of workflows and activities are
 * not `UserError`s: they are catalogued in ./failures/, and the CLI maps their types to exit codes.
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

/** Thrown when configuration (environment variables, files) is invalid. Exit code 2. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly string[]) {
    super(issues.join('\n'), 2);
  }
}
