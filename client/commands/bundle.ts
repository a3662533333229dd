/**
 * `mlops bundle -o file [--workflows path]`: builds the workflow bundle once, for workers started
 * with `mlops worker --bundle`; with `--workflows` (or MLOPS_WORKFLOWS) the user's workflow modules
 * are bundled with the built-in ones, and refused as `mlops worker --workflows` refuses them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildWorkflowBundle, userWorkflowFiles } from '../../worker/workflow-bundle';
import type { CommandContext } from '../context';
import { collect } from '../options';

export function registerBundle(program: Command, ctx: () => CommandContext): void {
  program
    .command('bundle')
    .description('build the workflow bundle once (a worker started with --bundle skips bundling)')
    .requiredOption('-o, --output <file>', 'where to write it, e.g. dist/workflow-bundle.js')
    .option(
      '--workflows <path>',
      'your workflow modules (a file, or a folder of .ts/.js files) to bundle too (repeatable; default MLOPS_WORKFLOWS)',
      collect,
      [],
    )
    .action(async (opts: { output: string; workflows: string[] }) => {
      const started = Date.now();
      const files =
        opts.workflows.length > 0
          ? userWorkflowFiles(opts.workflows, '--workflows')
          : userWorkflowFiles(ctx().config().workflows, 'MLOPS_WORKFLOWS');
      const { code, userModules } = await buildWorkflowBundle(files);
      const file = path.resolve(opts.output);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, code);
      ctx().out.result(
        { file, bytes: Buffer.byteLength(code), ms: Date.now() - started, userWorkflows: userModules },
        (r) =>
          [
            `wrote ${r.file} (${(r.bytes / 1024).toFixed(0)} KiB) in ${r.ms} ms`,
            ...r.userWorkflows.map((m) => `with ${m.workflows.join(', ')} from ${m.file}`),
          ].join('\n'),
      );
    });
}
