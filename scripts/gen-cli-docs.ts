/**
 * Writes docs/cli.md, the reference of every `mlops` command, from the CLI's own help: the commander
 * tree of `buildFullProgram()` walked depth first, each visible command's usage, description,
 * arguments, options and subcommands as `--help` prints them (`npm run docs:cli`). The width is fixed
 * and colours are off, so the page does not depend on the terminal; a unit test regenerates it in
 * memory and compares, so the committed page cannot go stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import prettier from 'prettier';
import { buildFullProgram } from '../client/cli';

export const CLI_DOCS_FILE = path.join(__dirname, '..', 'docs', 'cli.md');

/** The width the help is wrapped at, whatever the terminal. */
const HELP_WIDTH = 100;

/** The full name of a command, e.g. `mlops data snapshot`. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The visible subcommands of a command (not hidden ones, not commander's implicit `help`). */
function subcommands(cmd: Command): Command[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .filter((c) => cmd.commands.includes(c));
}

/** Text for a markdown line: angle brackets and emphasis characters escaped. */
function escape(text: string): string {
  return text.replace(/[<>*_[\]]/g, (c) => `\\${c}`);
}

/** Every visible command, depth first, the program first. */
function walk(cmd: Command): Command[] {
  return [cmd, ...subcommands(cmd).flatMap(walk)];
}

/** What `<command> --help` prints, with the text commands add before and after it. */
function helpOf(cmd: Command, isRoot: boolean): string {
  cmd.configureOutput({ getOutHelpWidth: () => HELP_WIDTH, getOutHasColors: () => false });
  let text = '';
  const context = { error: false, command: cmd, write: (s: string) => void (text += s) };
  const events = isRoot ? ['beforeAllHelp', 'beforeHelp'] : ['beforeHelp'];
  // commander prints the text of addHelpText() from these events of the command
  const emitter = cmd as unknown as EventEmitter;
  for (const e of events) emitter.emit(e, context);
  text += cmd.helpInformation();
  for (const e of isRoot ? ['afterHelp', 'afterAllHelp'] : ['afterHelp']) emitter.emit(e, context);
  return text.replace(/[ \t]+$/gm, '').trimEnd();
}

/** The page's text, formatted as the repository's Prettier config says. */
export async function cliDocs(): Promise<string> {
  const program = buildFullProgram();
  const commands = walk(program);
  const out: string[] = [
    '# CLI reference',
    '',
    '<!-- Generated from `mlops --help` by scripts/gen-cli-docs.ts: run `npm run docs:cli` after changing a command. -->',
    '',
    'Every command of `mlops`, as its `--help` prints it. The pages beside this one explain what the',
    'commands do: [concepts.md](concepts.md), [data.md](data.md), [pipelines.md](pipelines.md),',
    '[serving.md](serving.md), [monitoring.md](monitoring.md) and [configuration.md](configuration.md).',
    '',
  ];
  for (const cmd of commands.slice(1)) {
    const depth = fullName(cmd).split(' ').length - 2;
    const summary = cmd.summary() || cmd.description().split('\n')[0] || '';
    out.push(
      `${'  '.repeat(depth)}- [${fullName(cmd)}](#${fullName(cmd).replace(/ /g, '-')})${summary ? `: ${escape(summary)}` : ''}`,
    );
  }
  for (const cmd of commands) {
    out.push('', `## ${fullName(cmd)}`, '', '```text', helpOf(cmd, cmd === program), '```');
  }
  const text = out.join('\n') + '\n';
  const options = await prettier.resolveConfig(CLI_DOCS_FILE);
  return prettier.format(text, { ...options, filepath: CLI_DOCS_FILE });
}

async function main(): Promise<void> {
  fs.writeFileSync(CLI_DOCS_FILE, await cliDocs());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CLI_DOCS_FILE)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
