/** docs/cli.md is the CLI's help as it is now, whatever terminal it is generated in. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { buildFullProgram } from '../../client/cli';
import { CLI_DOCS_FILE, cliDocs } from '../../scripts/gen-cli-docs';

describe('docs/cli.md', function () {
  this.timeout(30_000);

  it('is committed exactly as the CLI help generates it (run `npm run docs:cli`)', async () => {
    const committed = fs.readFileSync(CLI_DOCS_FILE, 'utf8');
    assert.ok(committed === (await cliDocs()), 'docs/cli.md is out of date: run `npm run docs:cli` and commit it');
  });

  it('has a section with the usage of every command, subcommands included', async () => {
    const page = await cliDocs();
    const names: string[] = [];
    const walk = (cmd: ReturnType<typeof buildFullProgram>, prefix: string) => {
      for (const sub of cmd
        .createHelp()
        .visibleCommands(cmd)
        .filter((c) => cmd.commands.includes(c))) {
        names.push(`${prefix} ${sub.name()}`);
        walk(sub, `${prefix} ${sub.name()}`);
      }
    };
    walk(buildFullProgram(), 'mlops');
    assert.ok(names.includes('mlops data snapshot'));
    for (const name of names) {
      assert.ok(page.includes(`\n## ${name}\n`), `no section for ${name}`);
      assert.ok(page.includes(`Usage: ${name} `), `no usage line for ${name}`);
    }
  });

  it('does not depend on the width of the terminal', async () => {
    const saved = ['isTTY', 'columns'].map(
      (key) => [key, Object.getOwnPropertyDescriptor(process.stdout, key)] as const,
    );
    const terminal = (columns: number) => {
      Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
      Object.defineProperty(process.stdout, 'columns', { value: columns, configurable: true });
    };
    try {
      terminal(40);
      const narrow = await cliDocs();
      terminal(250);
      assert.equal(await cliDocs(), narrow);
    } finally {
      for (const [key, descriptor] of saved) {
        if (descriptor) Object.defineProperty(process.stdout, key, descriptor);
        else delete (process.stdout as unknown as Record<string, unknown>)[key];
      }
    }
  });
});
