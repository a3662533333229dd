/**
 * The exit codes of `mlops`, and which errors end the CLI with which. Commands and the top-level
 * handler (./cli.ts) take their codes from here, and `mlops --help` prints `EXIT_CODES` as its table.
 *
 * A `UserError` (common/errors.ts) carries its own code; a catalogued `Failure` does not: its type
 * decides, here. An error caused by a refused or failed network connection (to Temporal, the store,
 * the gateway) is "unreachable" (3) whatever wraps it, and is told in a line without a stack.
 */
import { CommanderError } from 'commander';
import { UserError } from '../common/errors';
import type * as FailuresModule from '../common/failures';
import type { FailureType } from '../common/failures';

/** The exit codes by meaning. */
export const EXIT = {
  ok: 0,
  failed: 1,
  badInput: 2,
  /** Temporal, the store or the gateway cannot be reached. */
  unreachable: 3,
  /** The candidate was rejected (by the gates or a person), or the rollout rolled back. */
  rejected: 4,
  /** Ctrl-C stopped a waiting command; the workflow goes on (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

/** The table of exit codes users read (`mlops --help`, the docs). */
export const EXIT_CODES: readonly { code: number; name: keyof typeof EXIT; meaning: string }[] = [
  { code: EXIT.ok, name: 'ok', meaning: 'done (also --help, --version)' },
  { code: EXIT.failed, name: 'failed', meaning: 'a run, a check or a command failed, or an unexpected error' },
  { code: EXIT.badInput, name: 'badInput', meaning: 'bad input: a usage mistake, a bad flag, spec file or setting' },
  {
    code: EXIT.unreachable,
    name: 'unreachable',
    meaning: 'cannot reach a server: Temporal, the object store or the gateway',
  },
  { code: EXIT.rejected, name: 'rejected', meaning: 'rejected by the gates or a person, or rolled back' },
  {
    code: EXIT.interrupted,
    name: 'interrupted',
    meaning: 'Ctrl-C stopped waiting (the workflow goes on; the command says how to follow it)',
  },
];

/** The exit codes as the text block at the end of `mlops --help`. */
export function exitCodesHelp(): string {
  return ['Exit codes:', ...EXIT_CODES.map((e) => `  ${e.code}  ${e.meaning}`)].join('\n');
}

/** Failure types that are bad input to the command, so exit 2 like a usage mistake. */
const BAD_INPUT: ReadonlySet<FailureType> = new Set<FailureType>([
  'InvalidName',
  'InvalidArgument',
  'InvalidInput',
  'InvalidKeyError',
  'SnapshotTooLarge',
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
  if (unreachable(err) !== undefined) return { code: EXIT.unreachable, expected: true };
  if (err instanceof UserError) return { code: err.exitCode, expected: true };
  // the catalogue (and the Temporal SDK's failure classes under it) loads only when an error needs it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Failure } = require('../common/failures') as typeof FailuresModule;
  if (err instanceof Failure) {
    if (BAD_INPUT.has(err.type)) return { code: EXIT.badInput, expected: true };
    return { code: EXIT.failed, expected: !err.retryable };
  }
  return { code: EXIT.failed, expected: false };
}

/** Error codes of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
/** gRPC's UNAVAILABLE status (a Temporal call whose server is not there). */
const GRPC_UNAVAILABLE = 14;

/**
 * The network failure behind `err` as a short phrase (`ECONNREFUSED 127.0.0.1:9000`), looking through
 * its `cause` chain and an AggregateError's errors; undefined when it is not one.
 */
export function unreachable(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 8) return undefined;
  const e = err as { code?: unknown; address?: unknown; port?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    const where = typeof e.address === 'string' ? ` ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : '';
    return `${e.code}${where}`;
  }
  if (e.code === GRPC_UNAVAILABLE && err instanceof Error && /unavailable|connect/i.test(err.message))
    return 'UNAVAILABLE';
  if (Array.isArray(e.errors))
    for (const inner of e.errors) {
      const found = unreachable(inner, depth + 1);
      if (found) return found;
    }
  return unreachable(e.cause, depth + 1);
}
