/** Data blocks: snapshot a dataset (content-addressed) and validate a snapshot against expectations. */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { InvalidArgumentError, toApplicationFailure } from '../../common/failures';
import { shortId } from '../../common/format';
import { MlDatasetVersion } from '../../common/search-attributes';
import type { DatasetExpectations } from '../../common/schemas/spec';
import { light, snapshots } from './activity-options';
import type { PipelineRun } from './run';
import type { DatasetSnapshot, SnapshotRef } from './types';

export interface SnapshotOptions {
  /** @default the spec's dataset name */
  dataset?: string;
  /** A local folder, a store prefix, or a step's `outputUri`. @default the spec's dataset source */
  source?: string;
  /** The step of the table. @default 'snapshot' */
  step?: string;
}

/** Snapshots the dataset: the run's `snapshot` (status and `MlDatasetVersion`) from now on. */
export async function snapshot(run: PipelineRun, options: SnapshotOptions = {}): Promise<DatasetSnapshot> {
  const dataset = options.dataset ?? run.spec.dataset.name;
  const source = options.source ?? run.spec.dataset.source;
  const step = options.step ?? 'snapshot';
  if (source === undefined)
    throw toApplicationFailure(
      new InvalidArgumentError('dataset.source', `${run.spec.name} has no dataset source: give snapshot() a source`),
    );
  run.begin(step, `snapshot ${dataset}`);
  const snap = await snapshots.snapshotDataset.executeWithOptions(
    { summary: `snapshot ${dataset} from ${source}`.slice(0, 200) },
    [{ dataset, source, description: `${run.spec.name} ${run.id}` }],
  );
  run.status.snapshot = snap.id;
  upsertSearchAttributes([{ key: MlDatasetVersion, value: snap.id }]);
  run.end(step, 'done', `${shortId(snap.id)}: ${snap.fileCount} files${snap.created ? '' : ' (unchanged content)'}`);
  return { dataset: snap.dataset, id: snap.id, fileCount: snap.fileCount, created: snap.created };
}

/** Checks a snapshot against expectations (a failed check fails the run); skipped without any. */
export async function validate(
  run: PipelineRun,
  snap: SnapshotRef,
  expectations: DatasetExpectations | undefined = run.spec.dataset.expectations,
  step = 'validate',
): Promise<void> {
  if (!expectations) {
    run.skip(step, 'no expectations in the spec');
    return;
  }
  run.begin(step, 'check the expectations');
  const report = await light.validateDataset.executeWithOptions(
    { summary: `validate ${snap.dataset}@${shortId(snap.id)}` },
    [{ dataset: snap.dataset, id: snap.id, expectations }],
  );
  run.end(step, 'done', `${report.results.length} checks passed`);
}
