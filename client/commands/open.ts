/**
 * `mlops open <workflowId> [--print]`: opens the run's page in the Temporal UI in the browser
 * (client/browser.ts), and always prints its URL; on a host without a browser it says so. With
 * `--print` or machine-readable output it only prints.
 */
import type { Command } from 'commander';
import { openUrl } from '../browser';
import type { CommandContext } from '../context';
import { uiUrl } from '../ui-url';

export function registerOpen(program: Command, ctx: () => CommandContext): void {
  program
    .command('open')
    .description("open a run's page in the Temporal UI in the browser (and print its URL)")
    .argument('<workflowId>')
    .option('--print', 'only print the URL')
    .action(async (workflowId: string, opts: { print?: boolean }) => {
      const { out } = ctx();
      const url = uiUrl(ctx().config(), workflowId);
      // machine-readable output is for scripts: they get the URL, no browser window
      const tryOpen = !opts.print && !out.json;
      const opened = tryOpen && (await openUrl(url)).opened;
      out.result({ workflowId, url, opened }, (r) => r.url);
      if (tryOpen) out.info(opened ? 'opened in the browser' : 'no browser here; open the URL above');
    });
}
