/**
 * `mlops history export <run> -o file.json [--run-id id]` (`<run>`: an id, a unique prefix of one, or latest): writes a run's event history as
 * JSON (the format `temporal workflow show --output json` writes and the replay tests read).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { UserError } from '../../common/errors';
import { RUN_TYPES, type RunType } from '../api';
import { withClient } from '../connect';
import { EXIT } from '../exit-codes';
import type { CommandContext } from '../context';
import { RUN_ARGUMENT_HELP, resolveRunId } from '../run-lookup';

export function registerHistory(program: Command, ctx: () => CommandContext): void {
  const history = program.command('history').description("a run's event history");
  history
    .command('export')
    .description('write the event history of a run as JSON (replayable)')
    .argument('<run>', `${RUN_ARGUMENT_HELP} (the newest run of any kind)`)
    .requiredOption('-o, --output <file>', 'where to write it')
    .option('--run-id <id>', 'a specific run of the workflow id (default: the latest)')
    .action(async (run: string, opts: { output: string; runId?: string }) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const workflowId = opts.runId
          ? run
          : await resolveRunId(client, run, { types: Object.keys(RUN_TYPES) as RunType[] });
        let events;
        try {
          events = await client.workflow.getHandle(workflowId, opts.runId).fetchHistory();
        } catch {
          throw new UserError(`no run ${workflowId}${opts.runId ? ` (run ${opts.runId})` : ''}`, EXIT.failed);
        }
        const file = path.resolve(opts.output);
        const tmp = `${file}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, historyToJSON(events));
        fs.renameSync(tmp, file);
        const count = events.events?.length ?? 0;
        ctx().out.result(
          { workflowId, file, events: count },
          (r) => `wrote ${r.events} events of ${workflowId} to ${r.file}`,
        );
      });
    });
}
