/**
 * `mlops completion bash|zsh|fish`: the scripts complete commands, subcommands and flags. Each is
 * printed by the real CLI and loaded into its shell, which is asked what it completes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli';

function hasShell(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

describe('mlops completion', function () {
  this.timeout(60_000);
  let dir: string;
  const scripts: Record<string, string> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-completion-'));
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = await runCli(['completion', shell]);
      assert.equal(result.code, 0, result.stderr);
      scripts[shell] = path.join(dir, `mlops.${shell}`);
      fs.writeFileSync(scripts[shell]!, result.stdout);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What bash's completion function offers for the words typed so far (the last one is completed). */
  function bashComplete(...words: string[]): string[] {
    const script = `source ${JSON.stringify(scripts.bash)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_mlops_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  it('bash completes commands, subcommands and flags, past global options', () => {
    assert.deepEqual(bashComplete('mlops', 'da'), ['data']);
    assert.deepEqual(bashComplete('mlops', 'data', 'sn'), ['snapshot']);
    assert.deepEqual(bashComplete('mlops', '--json', 'data', 'snapshot', '--no-'), ['--no-wait']);
    assert.ok(bashComplete('mlops', 'status', '--').includes('--output'), 'global flags on a command');
    assert.ok(bashComplete('mlops', '').includes('completion'));
  });

  it('says how to install it in its help', async () => {
    const help = await runCli(['completion', '--help']);
    assert.match(help.stdout, /source <\(mlops completion bash\)/);
    assert.match(help.stdout, /mlops completion fish \| source/);
    const bad = await runCli(['completion', 'powershell']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /value 'powershell' is invalid for argument 'shell'/);
  });

  it('zsh offers the subcommands of the command typed', () => {
    assert.ok(hasShell('zsh'), 'zsh is not installed: npm run setup installs it');
    // zsh's completion system is interactive: _describe is replaced by one that prints what it is given
    const script = `compdef() {}; source ${JSON.stringify(scripts.zsh)}
_describe() { print -l -- "\${(@P)2}" }
words=(mlops data sn); CURRENT=3; _mlops`;
    const items = execFileSync('zsh', ['-c', script], { encoding: 'utf8' }).split('\n');
    assert.ok(
      items.some((i) => i.startsWith('snapshot:')),
      items.join('\n'),
    );
    assert.ok(items.includes('--help:display help for command'));
  });

  it('fish completes commands and flags', () => {
    assert.ok(hasShell('fish'), 'fish is not installed: npm run setup installs it');
    const complete = (line: string) =>
      execFileSync('fish', ['-c', `source ${JSON.stringify(scripts.fish)}; complete -C ${JSON.stringify(line)}`], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    assert.deepEqual(complete('mlops da'), ['data']);
    assert.deepEqual(complete('mlops data sn'), ['snapshot']);
    assert.deepEqual(complete('mlops data snapshot --no'), ['--no-wait']);
  });
});
