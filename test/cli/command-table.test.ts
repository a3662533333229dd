/**
 * The static command table (client/commands/index.ts) that `mlops --help` lists without loading a
 * command: each entry's name and summary must be what its module registers, and the CLI must load
 * only the module of the command it runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { buildFullProgram, commandName } from '../../client/cli';
import { commands } from '../../client/commands';
import { REPO_ROOT } from '../../lib/tools';

describe('the command table', () => {
  it('names each command and its summary as its module registers it, one command per module', () => {
    for (const entry of commands) {
      const program = new Command('mlops');
      entry.load()(program, () => {
        throw new Error('no context while registering');
      });
      assert.deepEqual(
        program.commands.map((c) => [c.name(), c.description()]),
        [[entry.name, entry.summary]],
        `${entry.name}: the table and the module disagree`,
      );
    }
  });

  it('buildFullProgram registers every command of the table, in its order', () => {
    assert.deepEqual(
      buildFullProgram().commands.map((c) => c.name()),
      commands.map((c) => c.name),
    );
  });

  it('finds the command name past global options and their values', () => {
    assert.equal(commandName(['status', 'x']), 'status');
    assert.equal(commandName(['--json', '-o', 'yaml', '--address', 'h:1', 'runs', 'list']), 'runs');
    assert.equal(commandName(['--profile=cloud', '--project-dir', 'status', 'deploy']), 'deploy');
    assert.equal(commandName(['help', 'status']), 'status');
    assert.equal(commandName(['--help']), undefined);
    assert.equal(commandName([]), undefined);
  });

  it('loads no command module for the top-level help, and only the one asked for otherwise', () => {
    const commandsDir = path.join(REPO_ROOT, 'dist', 'client', 'commands') + path.sep;
    /** The command modules of dist/ that `mlops <args>` loaded, run as bin/mlops.js runs it. */
    const loadedCommands = (args: string[]): string[] => {
      const script = `const { main } = require('./dist/client/cli.js');
process.stdout.write = () => true;
main(['node', 'mlops', ...${JSON.stringify(args)}]).then(() => {
  require('node:fs').writeSync(2, '\\n' + JSON.stringify(Object.keys(require.cache)));
});`;
      const run = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
      const files = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as string[];
      return files
        .filter((f) => f.startsWith(commandsDir))
        .map((f) => path.basename(f, '.js'))
        .sort();
    };
    assert.deepEqual(loadedCommands(['--help']), ['index']);
    assert.deepEqual(loadedCommands(['no-such-command']), ['index']);
    assert.deepEqual(loadedCommands(['status', '--help']), ['index', 'status']);
    assert.deepEqual(loadedCommands(['--json', 'help', 'trials']), ['index', 'trials']);
  });
});
