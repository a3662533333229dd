/**
 * `mlops open <run> [--print]` (`<run>`: an id, a unique prefix of one, or `latest`): opens the run's page in the Temporal UI in the browser
 * (client/browser.ts), and always prints its URL; on a host without a browser it says so. With
 * `--print` or machine-readable output it only prints.
 */
import type { Command } from 'commander';
import { openUrl } from '../browser';
import { RUN_TYPES, type RunType } from '../api';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { UserError } from '../../common/errors';
import { EXIT } from '../exit-codes';
import { resolveRunId } from '../run-lookup';
import { uiUrl } from '../ui-url';

export function registerOpen(program: Command, ctx: () => CommandContext): void {
  program
    .command('open')
    .description("open a run's page in the Temporal UI in the browser (and print its URL)")
    .argument('<run>', 'a run id, a unique prefix of one, or latest (the newest run of any kind)')
    .option('--print', 'only print the URL')
    .action(async (given: string, opts: { print?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      // the URL needs no server: a whole id opens even when Temporal is down; latest and prefixes need it
      const workflowId = await withClient(config, (client) =>
        resolveRunId(client, given, { types: Object.keys(RUN_TYPES) as RunType[] }),
      ).catch((err: unknown) => {
        if (given !== 'latest' && err instanceof UserError && err.exitCode === EXIT.unreachable) return given;
        throw err;
      });
      const url = uiUrl(config, workflowId);
      // machine-readable output is for scripts: they get the URL, no browser window
      const tryOpen = !opts.print && !out.json;
      const opened = tryOpen && (await openUrl(url)).opened;
      out.result({ workflowId, url, opened }, (r) => r.url);
      if (tryOpen) out.info(opened ? 'opened in the browser' : 'no browser here; open the URL above');
    });
}
