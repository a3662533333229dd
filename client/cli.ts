/**
 * The `mlops` CLI entry point: builds the command tree (one file per command in ./commands),
 * parses arguments, and reports errors in one place: an expected one (a `UserError`, a catalogued
 * failure) → its message; an unexpected one → its stack; the exit code as ./exit-codes.ts says.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands';
import { createContext, type CommandContext } from './context';
import { EXIT, exitFor } from './exit-codes';
import { createOutput } from './output';

/** Builds the program; `ctx` is resolved when a command runs (after --json is known). */
export function buildProgram(getContext: () => CommandContext): Command {
  const program = new Command('mlops')
    .description('ML retraining, evaluation and rollout pipelines as durable Temporal workflows')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of commands) register(program, getContext);
  return program;
}

/** The whole command tree without a context, for reading its help (scripts/gen-cli-docs.ts). */
export function buildFullProgram(): Command {
  return buildProgram(() => {
    throw new Error('no context');
  });
}

/** Runs the CLI with `argv` (as in process.argv); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let ctx: CommandContext | undefined;
  const json = argv.includes('--json');
  const getContext = () => (ctx ??= createContext(createOutput(json)));
  const program = buildProgram(getContext);
  try {
    await program.parseAsync(argv);
    // a command may end with a non-zero code without an error (e.g. `run --wait` of a rejected run)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err, json);
  }
}

function reportError(err: unknown, json: boolean): number {
  const { code, expected } = exitFor(err);
  // commander has printed its own message (or the help)
  if (err instanceof CommanderError) return code;
  if (expected && err instanceof Error) {
    if (json) process.stderr.write(JSON.stringify({ error: { type: err.name, message: err.message } }) + '\n');
    else process.stderr.write(`mlops: ${err.message}\n`);
    return code;
  }
  process.stderr.write(`mlops: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return code;
}
