/**
 * `mlops demo` (`npm run demo`): the whole loop on the local stack, for a newcomer, in a few minutes.
 * The scenario is the churn example's (examples/churn/demo/scenario.ts); this file is its command:
 * the flags, the summary on stdout (text or `--json`) and the exit code (1 when it did not end as expected).
 * The scenario is loaded when the command runs, not when the CLI starts: the worker image ships no
 * examples/, and `mlops worker` loads this file with every other command.
 */
import { EXIT } from '../exit-codes';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CommandContext } from '../context';
import { durationFlag } from '../options';
import type * as ScenarioModule from '../../examples/churn/demo/scenario';
import type * as SummaryModule from '../../examples/churn/demo/summary';

interface DemoFlags {
  store: 'file' | 's3';
  keep?: boolean;
  /** Milliseconds. */
  timeout: number;
}

type Scenario = typeof ScenarioModule & typeof SummaryModule;

/** The churn example's scenario and summary, required on first use (a synchronous, CommonJS require). */
function loadScenario(): Pick<Scenario, 'runDemo' | 'renderSummary'> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: the worker image has no examples/ */
  const { runDemo } = require('../../examples/churn/demo/scenario') as Scenario;
  const { renderSummary } = require('../../examples/churn/demo/summary') as Scenario;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { runDemo, renderSummary };
}

export function registerDemo(program: Command, ctx: () => CommandContext): void {
  program
    .command('demo')
    .description('the whole loop on the local stack: train, serve, detect drift, retrain, canary, promote')
    .addOption(new Option('--store <kind>', 'object store: file or s3 (MinIO)').choices(['file', 's3']).default('file'))
    .option('--keep', 'leave the stack, the worker and the monitor running (to browse the Temporal UI)')
    .addOption(
      durationFlag('--timeout <duration>', 'give up after this long, e.g. 20m (a bare number is minutes)', {
        default: '15m',
        bareUnit: 'm',
      }),
    )
    .action(async (flags: DemoFlags) => {
      const { out } = ctx();
      const minutes = flags.timeout / 60_000;
      const { runDemo, renderSummary } = loadScenario();
      const summary = await runDemo({ store: flags.store, keep: flags.keep === true, minutes });
      out.result(summary, renderSummary);
      if (!summary.ok) process.exitCode = EXIT.failed;
    });
}
