/**
 * `mlops demo` (`npm run demo`): the whole loop on the local stack, for a newcomer, in a few minutes.
 * The scenario is the churn example's (examples/churn/demo/scenario.ts); this file is its command:
 * the flags, the summary on stdout (text or `--json`) and the exit code (1 when it did not end as expected).
 */
import { EXIT } from '../exit-codes';
import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../../common/errors';
import { runDemo } from '../../examples/churn/demo/scenario';
import { renderSummary } from '../../examples/churn/demo/summary';
import type { CommandContext } from '../context';

interface DemoFlags {
  store: 'file' | 's3';
  keep?: boolean;
  timeout: string;
}

export function registerDemo(program: Command, ctx: () => CommandContext): void {
  program
    .command('demo')
    .description('the whole loop on the local stack: train, serve, detect drift, retrain, canary, promote')
    .addOption(new Option('--store <kind>', 'object store: file or s3 (MinIO)').choices(['file', 's3']).default('file'))
    .option('--keep', 'leave the stack, the worker and the monitor running (to browse the Temporal UI)')
    .option('--timeout <minutes>', 'give up after this many minutes', '15')
    .action(async (flags: DemoFlags) => {
      const { out } = ctx();
      const minutes = Number(flags.timeout);
      if (!Number.isFinite(minutes) || minutes <= 0)
        throw new UserError(`--timeout: minutes > 0, got ${flags.timeout}`, 2);
      const summary = await runDemo({ store: flags.store, keep: flags.keep === true, minutes });
      out.result(summary, renderSummary);
      if (!summary.ok) process.exitCode = EXIT.failed;
    });
}
