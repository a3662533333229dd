/** `mlops open <workflowId>`: prints the Temporal UI URL of a run. */
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { uiUrl } from '../ui-url';

export function registerOpen(program: Command, ctx: () => CommandContext): void {
  program
    .command('open')
    .description('print the Temporal UI URL of a run')
    .argument('<workflowId>')
    .action((workflowId: string) => {
      const url = uiUrl(ctx().config(), workflowId);
      ctx().out.result({ workflowId, url }, (r) => r.url);
    });
}
