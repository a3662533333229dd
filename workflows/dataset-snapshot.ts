/**
 * `datasetSnapshot`: takes a content-addressed snapshot of a dataset as a durable run, so a large
 * snapshot survives worker restarts (the activity resumes from its heartbeat) and shows up in the
 * Temporal UI with its progress, result and search attribute `MlDatasetVersion`.
 * Workflow id: `snapshot/<dataset>/<utc time>`.
 */
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DatasetExpectations, SnapshotResult, ValidationReport } from '../activities/data/types';
import { formatBytes, markdownKeyValues, shortId } from '../common/format';
import { MlDatasetVersion } from '../common/search-attributes';
import { KEEPALIVE_TIMEOUT } from './keepalive';

export interface DatasetSnapshotInput {
  dataset: string;
  /**
   * `upload://<hex>` (a folder the CLI hashed and uploaded), `s3://bucket/prefix`, or an absolute
   * folder or `file://…` on the worker's host (inside its source roots).
   */
  source: string;
  description?: string;
  /** When given, the snapshot is validated against these and the run fails if any is not met. */
  expectations?: DatasetExpectations;
}

export interface DatasetSnapshotOutput {
  snapshot: SnapshotResult;
  validation?: ValidationReport;
}

/** Snapshots stream every file: long, heartbeating, resumable. */
const snapshotActivities = proxyActivities<Activities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** Validation reads the stored profile: short. */
const lightActivities = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export async function datasetSnapshot(input: DatasetSnapshotInput): Promise<DatasetSnapshotOutput> {
  const rows: [string, string][] = [
    ['dataset', input.dataset],
    ['source', input.source],
    ['status', 'snapshotting…'],
  ];
  const show = () => setCurrentDetails(markdownKeyValues(rows));
  const set = (key: string, value: string) => {
    const row = rows.find((r) => r[0] === key);
    if (row) row[1] = value;
    else rows.push([key, value]);
    show();
  };
  show();

  const snapshot = await snapshotActivities.snapshotDataset.executeWithOptions(
    { summary: `snapshot ${input.dataset} from ${input.source}`.slice(0, 200) },
    [{ dataset: input.dataset, source: input.source, description: input.description }],
  );
  upsertSearchAttributes([{ key: MlDatasetVersion, value: snapshot.id }]);
  set('snapshot', `\`${shortId(snapshot.id)}\`${snapshot.created ? '' : ' (identical content: existing snapshot)'}`);
  set('files', `${snapshot.fileCount} (${formatBytes(snapshot.totalBytes)})`);
  set('uploaded', `${snapshot.uploadedFiles} files, ${formatBytes(snapshot.uploadedBytes)}`);
  set('parent', snapshot.parent ? `\`${shortId(snapshot.parent)}\`` : '—');
  set('status', input.expectations ? 'validating…' : 'done');

  if (!input.expectations) return { snapshot };
  const validation = await lightActivities.validateDataset.executeWithOptions(
    { summary: `validate ${input.dataset}@${shortId(snapshot.id)}` },
    [{ dataset: input.dataset, id: snapshot.id, expectations: input.expectations }],
  );
  set('validation', `${validation.results.filter((r) => r.passed).length}/${validation.results.length} passed`);
  set('status', 'done');
  return { snapshot, validation };
}
