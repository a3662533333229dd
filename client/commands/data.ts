/** `mlops data snapshot|list|show|diff`: versioned datasets. Snapshots run as a durable workflow. */
import path from 'node:path';
import type { Command } from 'commander';
import type { SnapshotProgress } from '../../activities/data/types';
import {
  diffSnapshots,
  listSnapshots,
  materializeSnapshot,
  readManifest,
  readProfile,
  resolveSnapshotId,
  validateDataset,
} from '../../activities/data';
import type { DatasetExpectations } from '../../activities/data/types';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { findReservedKeys } from '../../common/reserved-keys';
import { readUserFile, UserFileError } from '../../lib/user-files';
import { formatBytes } from '../../common/format';
import { datasetExpectationsSchema } from '../../common/schemas/spec';
import { datasetSnapshot } from '../../workflows/dataset-snapshot';
import { followProgress, pendingHeartbeat } from '../activity-progress';
import { withClient } from '../connect';
import { positiveInt } from '../options';
import {
  checkDatasetFolder,
  DEFAULT_UPLOAD_CONCURRENCY,
  describeUpload,
  localFolder,
  uploadDataset,
  type DatasetUpload,
} from '../upload-dataset';
import type { CommandContext } from '../context';
import { hiddenWaitOption } from '../progress';
import { renderDiff, renderShow, renderSnapshot, renderSnapshotList, renderValidation } from '../render/data';
import { explainWorkflowFailure } from '../workflow-errors';

/** Files of each kind `data diff` lists unless `--limit` or `--all` says otherwise. */
const DIFF_LIST_LIMIT = 1000;

export function registerData(program: Command, ctx: () => CommandContext): void {
  const data = program.command('data').description('versioned datasets: snapshots, profiles, diffs');

  data
    .command('snapshot')
    .description(
      'snapshot a folder or store prefix as a new version of <dataset> (a local folder is hashed and uploaded from here; durable, resumable)',
    )
    .argument('<dataset>', 'dataset name, e.g. churn')
    .argument('<source>', 'a local folder, file://… or s3://bucket/prefix')
    .option('--description <text>', 'what this version is')
    .option(
      '--worker-path',
      "the folder is on the worker's host: the worker reads it (only inside its MLOPS_SOURCE_ROOTS)",
    )
    .option(
      '--concurrency <n>',
      `files hashed and uploaded at once (default ${DEFAULT_UPLOAD_CONCURRENCY})`,
      positiveInt('--concurrency'),
    )
    .addOption(hiddenWaitOption())
    .option('--no-wait', 'start the run and print its id without waiting')
    .action(
      async (
        dataset: string,
        source: string,
        opts: { description?: string; wait?: boolean; workerPath?: boolean; concurrency?: number },
      ) => {
        const { out } = ctx();
        const config = ctx().config();
        // a bad folder is named before anything connects; with Temporal unreachable, nothing is uploaded
        const local = opts.workerPath ? undefined : localFolder(source, 'source');
        const folder = local === undefined ? undefined : checkDatasetFolder(local);
        const upload = async (): Promise<DatasetUpload | undefined> => {
          if (folder === undefined) return undefined;
          const done = await uploadDataset(createBlobStore(config.store), folder, {
            dataset,
            cacheDir: config.cacheDir,
            maxFiles: config.maxSnapshotFiles,
            concurrency: opts.concurrency,
            onProgress: (p) => out.info(progressLine(p)),
          });
          out.info(describeUpload(done));
          return done;
        };
        await withClient(config, async (client) => {
          const uploaded = await upload();
          const resolved = uploaded?.source ?? resolveSource(source);
          const workflowId = `snapshot/${dataset}/${new Date().toISOString()}`;
          const handle = await client.workflow.start(datasetSnapshot, {
            workflowId,
            taskQueue: config.taskQueue,
            args: [{ dataset, source: resolved, description: opts.description }],
            staticSummary: `snapshot dataset ${dataset} from ${uploaded?.folder ?? resolved}`.slice(0, 200),
          });
          out.info(`started ${workflowId}`);
          if (opts.wait === false) {
            out.result(
              { workflowId, runId: handle.firstExecutionRunId, ...(uploaded && { upload: uploaded }) },
              (r) => `${r.workflowId}\n`,
            );
            return;
          }
          const result = await followProgress(
            handle.result().catch((err: unknown) => {
              throw explainWorkflowFailure(err, workflowId);
            }),
            () => pendingHeartbeat<SnapshotProgress>(client, handle),
            (p) => out.info(progressLine(p)),
            1000,
          );
          out.result({ workflowId, ...result, ...(uploaded && { upload: uploaded }) }, renderSnapshot);
        });
      },
    );

  data
    .command('list')
    .description('list the snapshots of <dataset>, newest first')
    .argument('<dataset>')
    .action(async (dataset: string) => {
      const { out } = ctx();
      const store = createBlobStore(ctx().config().store);
      const snapshots = await listSnapshots(store, dataset);
      out.result({ dataset, snapshots }, renderSnapshotList);
    });

  data
    .command('show')
    .description('show one snapshot: files, sizes, lineage and the tabular profile')
    .argument('<dataset>')
    .argument('<id>', 'snapshot id, a unique prefix of it, or latest')
    .action(async (dataset: string, idOrPrefix: string) => {
      const { out } = ctx();
      const store = createBlobStore(ctx().config().store);
      const id = await resolveSnapshotId(store, dataset, idOrPrefix);
      const manifest = await readManifest(store, dataset, id);
      const profile = manifest.profileKey ? await readProfile(store, dataset, id) : undefined;
      out.result({ manifest, profile }, renderShow);
    });

  registerDataTools(data, ctx);

  data
    .command('diff')
    .description('what changed between two snapshots: files, rows, columns')
    .argument('<dataset>')
    .argument('<a>', 'older snapshot (id, prefix or latest)')
    .argument('<b>', 'newer snapshot (id, prefix or latest)')
    .option(
      '--limit <n>',
      `list at most <n> files of each kind (added, removed, changed); counts stay exact (default ${DIFF_LIST_LIMIT})`,
      positiveInt('--limit'),
    )
    .option('--all', 'list every changed file')
    .action(async (dataset: string, a: string, b: string, opts: { limit?: number; all?: boolean }) => {
      const { out } = ctx();
      const store = createBlobStore(ctx().config().store);
      const diff = await diffSnapshots(
        store,
        {
          dataset,
          a: await resolveSnapshotId(store, dataset, a),
          b: await resolveSnapshotId(store, dataset, b),
        },
        { limit: opts.all ? undefined : (opts.limit ?? DIFF_LIST_LIMIT) },
      );
      out.result(diff, renderDiff);
    });
}

function registerDataTools(data: Command, ctx: () => CommandContext): void {
  data
    .command('materialize')
    .description('restore the files of a snapshot into <dir>, verifying every digest')
    .argument('<dataset>')
    .argument('<id>', 'snapshot id, a unique prefix of it, or latest')
    .argument('<dir>', 'folder to restore into (created if missing)')
    .action(async (dataset: string, id: string, dir: string) => {
      const { out } = ctx();
      const store = createBlobStore(ctx().config().store);
      const result = await materializeSnapshot(store, { dataset, id, dir: path.resolve(dir) });
      out.result(
        result,
        (r) => `restored ${r.fileCount} files (${formatBytes(r.totalBytes)}) of ${r.dataset}@${r.id} into ${r.dir}`,
      );
    });

  data
    .command('validate')
    .description('check a snapshot against expectations (a JSON file); exit 1 when any fails')
    .argument('<dataset>')
    .argument('<id>', 'snapshot id, a unique prefix of it, or latest')
    .requiredOption(
      '--expectations <file>',
      'JSON: requiredColumns, minRows, maxNullRate, allowedCategories, ranges, labelColumn',
    )
    .action(async (dataset: string, id: string, opts: { expectations: string }) => {
      const { out } = ctx();
      const store = createBlobStore(ctx().config().store);
      const report = await validateDataset(store, { dataset, id, expectations: readExpectations(opts.expectations) });
      out.result(report, renderValidation);
      if (!report.passed) throw new UserError(`${dataset}@${report.snapshot.slice(0, 12)} failed validation`, 1);
    });
}

function readExpectations(file: string): DatasetExpectations {
  let text: string;
  try {
    text = readUserFile(file);
  } catch (error) {
    const unreadable = !(error instanceof UserFileError) || error.problem === 'cannot read the file';
    throw new UserError(`--expectations: ${unreadable ? `cannot read ${file}` : error.message}`, 2);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // the parser's message quotes the text, which may not be the JSON file it was meant to be
    throw new UserError(`--expectations: ${file} is not JSON`, 2);
  }
  const reserved = findReservedKeys(value);
  if (reserved.length > 0) {
    throw new UserError(
      reserved.map((i) => `--expectations: ${file}: ${i.path.join('.')}: ${i.message}`).join('\n'),
      2,
    );
  }
  const parsed = datasetExpectationsSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `--expectations: ${file}: ${i.path.join('.') || '(top)'}: ${i.message}`,
    );
    throw new UserError(issues.join('\n'), 2);
  }
  return parsed.data;
}

/**
 * With --worker-path, a path names a folder on the worker's host, which this machine cannot check:
 * it is passed on absolute (the worker refuses one outside its source roots). URIs pass through.
 */
function resolveSource(source: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  return path.resolve(source);
}

function progressLine(p: SnapshotProgress): string {
  return `${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`;
}
