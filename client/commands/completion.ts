/** `mlops completion bash|zsh|fish`: prints the shell's completion script (client/completion.ts). */
import { Argument, type Command } from 'commander';
import type * as CliModule from '../cli';
import { completionScript, SHELLS, type Shell } from '../completion';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh, fish) for mlops')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      `
Install:
  bash  source <(mlops completion bash)             (add the line to ~/.bashrc, or write the script to
                                                    ~/.local/share/bash-completion/completions/mlops)
  zsh   source <(mlops completion zsh)              (or write it to "\${fpath[1]}/_mlops")
  fish  mlops completion fish | source              (or write it to ~/.config/fish/completions/mlops.fish)`,
    )
    .action((shell: Shell) => {
      // every command's module, loaded here only: the script lists all of them
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { buildFullProgram } = require('../cli') as typeof CliModule;
      process.stdout.write(completionScript(shell, buildFullProgram()));
    });
}
