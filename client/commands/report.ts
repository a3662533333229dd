/**
 * `mlops report <run> [--kind evaluation|sweep|drift] [--out <file>] [--print]`: opens a run's HTML
 * report in the browser: a retrain run's evaluation report (or its sweep's), a sweep's report, a
 * monitor's (`monitor/<endpoint>`) latest drift report. Reports are found in the store by the
 * run id alone (client/report-links.ts), so no worker needs to run. An S3 store's report opens
 * through the report server (`MLOPS_REPORTS_URL`), else from a copy in the temp folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { openUrl } from '../browser';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { resolveRunId } from '../run-lookup';
import { EXIT } from '../exit-codes';
import { browserUrlOf, downloadReport, findReports, pickReport, REPORT_KINDS, type ReportKind } from '../report-links';

interface ReportFlags {
  kind?: ReportKind;
  out?: string;
  print?: boolean;
}

export function registerReport(program: Command, ctx: () => CommandContext): void {
  program
    .command('report')
    .description("open a run's HTML report (evaluation, sweep or drift) in the browser, or write it to a file")
    .argument(
      '<run>',
      'a retrain run, a sweep (sweep/…) or a monitor (monitor/<endpoint>); a unique prefix of one, or latest (retrain runs)',
    )
    .addOption(new Option('--kind <kind>', 'which report, when the run has several').choices(REPORT_KINDS))
    .option('--out <file>', 'write the report to this file instead of opening it')
    .option('--print', 'only print the URL')
    .action(async (given: string, opts: ReportFlags) => {
      const { out } = ctx();
      const config = ctx().config();
      const store = createBlobStore(config.store);
      let runId = given;
      let found = given === 'latest' ? [] : await findReports(store, runId);
      // `latest` or a prefix: the run is found through Temporal, its reports in the store
      if (found.length === 0) {
        runId = await withClient(config, (client) =>
          resolveRunId(client, given, { types: ['retrain', 'sweep', 'monitor'] }),
        ).catch((err: unknown) => {
          // no Temporal: a whole id's reports are simply not in the store
          if (given !== 'latest' && err instanceof UserError && err.exitCode === EXIT.unreachable) return given;
          throw err;
        });
        if (runId !== given) found = await findReports(store, runId);
      }
      const report = pickReport(found, runId, opts.kind);
      if (opts.out) {
        const file = path.resolve(opts.out);
        try {
          fs.writeFileSync(file, await store.getBytes(report.key));
        } catch (err) {
          throw new UserError(`--out: cannot write ${file}: ${(err as Error).message}`, EXIT.badInput);
        }
        out.result({ run: runId, ...report, file }, (r) => `${r.kind} report written to ${r.file}`);
        return;
      }
      const url = browserUrlOf(config, report.key) ?? (await downloadReport(store, report.key));
      const tryOpen = !opts.print && !out.json;
      const opened = tryOpen && (await openUrl(url)).opened;
      out.result({ run: runId, ...report, url, opened }, (r) => r.url);
      if (tryOpen)
        out.info(opened ? `${report.kind} report opened in the browser` : 'no browser here; open the URL above');
    });
}
