/**
 * The `mlops` CLI entry point: builds the command tree, parses arguments, and reports errors in one
 * place: an expected one (a `UserError`, a catalogued failure, a server that cannot be reached) → its
 * message; an unexpected one → its stack; the exit code as ./exit-codes.ts says.
 *
 * Commands load lazily (./commands/index.ts): `mlops <name> …` loads that command's module only;
 * `mlops --help`, bare `mlops` and an unknown command load none. The global options (`-o`, `--json`,
 * `--address`, `--namespace`, `--profile`, `--project-dir`, `--version`) are the program's, shown in
 * every command's help; the connection and folder ones set their environment variables for the
 * command (and the processes it starts), so the environment's meaning stays the one definition.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PACKAGE_ROOT } from '../lib/package-root';
import { commands, type CommandEntry } from './commands';
import { createContext, type CommandContext } from './context';
import { EXIT, exitCodesHelp, exitFor, unreachable } from './exit-codes';
import { createOutput, formatDocument, OUTPUT_FORMATS, type OutputFormat } from './output';

/** The program's options, as commander parses them. */
export interface GlobalOptions {
  output?: OutputFormat;
  json?: boolean;
  address?: string;
  namespace?: string;
  profile?: string;
  projectDir?: string;
}

/** Global options that take a value: the word after one is not the command's name. */
const VALUE_OPTIONS = new Set(['-o', '--output', '--address', '--namespace', '--profile', '--project-dir']);

/** Which environment variable each connection or folder option sets for the command. */
const OPTION_ENV: readonly [keyof GlobalOptions, string][] = [
  ['address', 'TEMPORAL_ADDRESS'],
  ['namespace', 'TEMPORAL_NAMESPACE'],
  ['profile', 'TEMPORAL_PROFILE'],
  ['projectDir', 'MLOPS_PROJECT_DIR'],
];

/** The program with its global options and no command. */
function baseProgram(): Command {
  return new Command('mlops')
    .description('ML retraining, evaluation and rollout pipelines as durable Temporal workflows')
    .version(packageVersion(), '--version', 'print the version of mlops')
    .option('--json', 'print machine-readable JSON (the same as -o json)')
    .option('--address <host:port>', 'the Temporal server (instead of TEMPORAL_ADDRESS)')
    .option('--namespace <ns>', 'the Temporal namespace (instead of TEMPORAL_NAMESPACE)')
    .option(
      '--profile <name>',
      'the envconfig profile (instead of TEMPORAL_PROFILE), with its [profile.<name>.mlops] settings',
    )
    .option(
      '--project-dir <dir>',
      'the project folder (default: the nearest folder up from here holding .mlops/ or mlops.toml)',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .configureHelp({ showGlobalOptions: true });
}

/** The global `-o, --output <format>`. */
function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS);
}

/**
 * Adds the global `-o, --output <format>` unless a registered command has an `-o` or `--output` of
 * its own (a file to write: `bundle -o`, `history export -o`), which the program would otherwise take;
 * `--json` stays. Returns whether it was added.
 */
function addOutputOption(program: Command): boolean {
  const own = (cmd: Command): boolean =>
    cmd.options.some((o) => o.short === '-o' || o.long === '--output') || cmd.commands.some(own);
  if (program.commands.some(own)) return false;
  program.addOption(outputOption());
  return true;
}

/**
 * Builds the program with `entries` registered (default: every command); `ctx` is resolved when a
 * command runs (after the global options are known). With every command, the global `-o` is listed
 * even though `bundle` and `history export` take `-o <file>` (see `addOutputOption`).
 */
export function buildProgram(getContext: () => CommandContext, entries: readonly CommandEntry[] = commands): Command {
  const program = baseProgram();
  for (const entry of entries) entry.load()(program, getContext);
  if (!addOutputOption(program)) program.addOption(outputOption());
  return program;
}

/** The program with every command registered (for completion and the generated CLI docs). */
export function buildFullProgram(): Command {
  let ctx: CommandContext | undefined;
  const program = buildProgram(() => (ctx ??= createContext(createOutput(formatOf(program.opts<GlobalOptions>())))));
  return program;
}

/** Runs the CLI with `argv` (as in process.argv); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let ctx: CommandContext | undefined;
  const program = baseProgram();
  const getContext = () => (ctx ??= createContext(createOutput(formatOf(program.opts<GlobalOptions>()))));
  const restoreEnv = applyGlobalOptionsOnAction(program);
  try {
    const name = commandName(argv.slice(2));
    const entry = name === undefined ? undefined : commands.find((c) => c.name === name);
    if (entry) entry.load()(program, getContext);
    else listCommands(program);
    addOutputOption(program);
    if (name === undefined && !argv.slice(2).some((a) => ['-h', '--help', '--version'].includes(a))) {
      // bare `mlops` (maybe with global options): the help, as a question answered
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(argv);
    // a command may end with a non-zero code without an error (e.g. `run` of a rejected run)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err, formatFromArgv(argv));
  } finally {
    restoreEnv();
  }
}

/** Placeholders of every command, enough for the top-level help and "unknown command" suggestions. */
function listCommands(program: Command): void {
  for (const entry of commands) program.command(entry.name).description(entry.summary);
  program.addHelpText('after', `\n${exitCodesHelp()}`);
}

/**
 * The name of the command `args` runs: the first word that is neither an option nor a global
 * option's value; after `help`, the word it asks about.
 */
export function commandName(args: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    words.push(arg);
    if (words[0] !== 'help') break;
  }
  return words[0] === 'help' ? (words[1] ?? 'help') : words[0];
}

/** The output format the global options ask for. */
function formatOf(opts: GlobalOptions): OutputFormat {
  return opts.json ? 'json' : (opts.output ?? 'table');
}

/** The output format as far as argv tells before it is parsed (for errors of the parse itself). */
function formatFromArgv(argv: readonly string[]): OutputFormat {
  if (argv.includes('--json')) return 'json';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value =
      arg === '-o' || arg === '--output'
        ? argv[i + 1]
        : arg.startsWith('--output=')
          ? arg.slice('--output='.length)
          : arg.startsWith('-o') && arg.length > 2
            ? arg.slice(2).replace(/^=/, '')
            : undefined;
    if (value && (OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  }
  return 'table';
}

/**
 * Before a command's action, sets the environment variables the connection and folder options
 * stand for; returns what puts the environment back (when `main` ends).
 */
function applyGlobalOptionsOnAction(program: Command): () => void {
  const saved = new Map<string, string | undefined>();
  program.hook('preAction', () => {
    const opts = program.opts<GlobalOptions>();
    for (const [option, variable] of OPTION_ENV) {
      const value = opts[option];
      if (typeof value !== 'string') continue;
      if (!saved.has(variable)) saved.set(variable, process.env[variable]);
      process.env[variable] = option === 'projectDir' ? path.resolve(value) : value;
    }
  });
  return () => {
    for (const [variable, value] of saved) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

function reportError(err: unknown, format: OutputFormat): number {
  const { code, expected } = exitFor(err);
  // commander has printed its own message (or the help)
  if (err instanceof CommanderError) return code;
  if (expected && err instanceof Error) {
    const network = code === EXIT.unreachable ? unreachable(err) : undefined;
    const message =
      network !== undefined && !/cannot reach|unreachable/.test(err.message)
        ? `cannot reach a server (${network}): ${err.message}`
        : err.message;
    const doc = { error: { type: err.name, message } };
    if (format === 'json') process.stderr.write(JSON.stringify(doc) + '\n');
    else if (format === 'yaml') process.stderr.write(formatDocument(doc, format));
    else process.stderr.write(`mlops: ${message}\n`);
    return code;
  }
  process.stderr.write(`mlops: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return code;
}
