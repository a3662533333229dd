/**
 * The `mlops` CLI entry point: builds the command tree (one file per command in ./commands),
 * parses arguments, and maps errors to exit codes in one place:
 *   a `UserError` → its message, its exit code (2 for config and usage); unexpected → the stack, 1.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../common/errors';
import { commands } from './commands';
import { createContext, type CommandContext } from './context';
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

/** Runs the CLI with `argv` (as in process.argv); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let ctx: CommandContext | undefined;
  const json = argv.includes('--json');
  const getContext = () => (ctx ??= createContext(createOutput(json)));
  const program = buildProgram(getContext);
  try {
    await program.parseAsync(argv);
    // a command may end with a non-zero code without an error (e.g. `run --wait` of a rejected run)
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, json);
  }
}

function reportError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage mistakes were already printed by commander
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserError) {
    if (json) process.stderr.write(JSON.stringify({ error: { type: err.name, message: err.message } }) + '\n');
    else process.stderr.write(`mlops: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`mlops: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
