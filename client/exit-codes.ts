/**
 * The exit codes of `mlops`, and which errors end the CLI with which. Commands and the top-level
 * handler (./cli.ts) take their codes from here.
 *
 * | code | meaning                                                                                  |
 * | ---- | ---------------------------------------------------------------------------------------- |
 * | 0    | done; also `--help`                                                                      |
 * | 1    | failed: a workflow run failed (`WorkflowRunFailed`), a failure such as `ModelNotFound`   |
 * |      | or `DatasetValidationFailed` raised in the CLI itself, a check failed (`doctor`,         |
 * |      | `data validate`, `demo`), `rollout --wait` rolled back, or an unexpected error (printed  |
 * |      | with its stack: anything else, and the retried system failures such as `NotFoundError`) |
 * | 2    | bad input: a usage mistake (commander), a `UserError` of code 2 (a bad flag, a bad spec  |
 * |      | file, `ConfigError`), or a failure of a type in `BAD_INPUT` below                        |
 * | 4    | `run --wait`: the candidate was rejected (by the gates or a person) or rolled back       |
 *
 * A `UserError` (common/errors.ts) carries its own code, 1 or 2; a catalogued `Failure` does not:
 * its type decides, here.
 */
import { CommanderError } from 'commander';
import { UserError } from '../common/errors';
import { Failure, type FailureType } from '../common/failures';

/** The exit codes by meaning. */
export const EXIT = {
  ok: 0,
  failed: 1,
  badInput: 2,
  /** `run --wait` of a run whose candidate was rejected or rolled back. */
  rejected: 4,
} as const;

/** Failure types that are bad input to the command, so exit 2 like a usage mistake. */
const BAD_INPUT: ReadonlySet<FailureType> = new Set<FailureType>([
  'InvalidName',
  'InvalidArgument',
  'InvalidInput',
  'InvalidKeyError',
]);

/** How the CLI ends on an error: its exit code, and whether it is expected (its message, no stack). */
export interface ExitFor {
  code: number;
  expected: boolean;
}

/**
 * The exit of the CLI on `err`. A retried system failure (a store race, an unreachable gateway)
 * reaching the CLI is unexpected and shown with its stack, as are errors of no known kind.
 */
export function exitFor(err: unknown): ExitFor {
  // help and version exit 0; usage mistakes were already printed by commander
  if (err instanceof CommanderError) return { code: err.exitCode === 0 ? EXIT.ok : EXIT.badInput, expected: true };
  if (err instanceof UserError) return { code: err.exitCode, expected: true };
  if (err instanceof Failure) {
    if (BAD_INPUT.has(err.type)) return { code: EXIT.badInput, expected: true };
    return { code: EXIT.failed, expected: !err.retryable };
  }
  return { code: EXIT.failed, expected: false };
}
