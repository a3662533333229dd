/** `mlops bundle -o file`: builds the workflow bundle once, for workers started with `mlops worker --bundle`. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { CommandContext } from '../context';

export function registerBundle(program: Command, ctx: () => CommandContext): void {
  program
    .command('bundle')
    .description('build the workflow bundle once (a worker started with --bundle skips bundling)')
    .requiredOption('-o, --output <file>', 'where to write it, e.g. dist/workflow-bundle.js')
    .action(async (opts: { output: string }) => {
      const started = Date.now();
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows'),
        logger: {
          log() {},
          trace() {},
          debug() {},
          info() {},
          warn: (m: string) => process.stderr.write(`${m}\n`),
          error: (m: string) => process.stderr.write(`${m}\n`),
        },
      });
      const file = path.resolve(opts.output);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, code);
      ctx().out.result(
        { file, bytes: Buffer.byteLength(code), ms: Date.now() - started },
        (r) => `wrote ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB) in ${r.ms} ms`,
      );
    });
}
