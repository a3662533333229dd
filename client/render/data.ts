/** Human renderings of data versioning results (the `--json` output is the data itself). */
import type {
  SnapshotDiff,
  SnapshotManifest,
  SnapshotProfile,
  SnapshotResult,
  SnapshotSummary,
  ValidationReport,
} from '../../activities/data/types';
import { formatBytes, shortId } from '../../common/format';
import { table } from '../output';

export function renderSnapshot(r: {
  workflowId: string;
  snapshot: SnapshotResult;
  validation?: ValidationReport;
  /** Set when the CLI uploaded the files itself (the worker then stored nothing). */
  upload?: { folder: string; uploadedFiles: number; uploadedBytes: number };
}): string {
  const s = r.snapshot;
  const lines = [
    `${s.created ? 'created' : 'unchanged: identical to existing'} snapshot ${s.id}`,
    `dataset ${s.dataset}: ${s.fileCount} files, ${formatBytes(s.totalBytes)}`,
    r.upload
      ? `uploaded ${r.upload.uploadedFiles} files (${formatBytes(r.upload.uploadedBytes)}) from ${r.upload.folder}`
      : `uploaded ${s.uploadedFiles} files (${formatBytes(s.uploadedBytes)}); ${s.cachedDigests} digests from the stat cache`,
    `parent ${s.parent ?? '—'}`,
    `run ${r.workflowId}`,
  ];
  if (r.validation) lines.push(`validation: ${r.validation.passed ? 'passed' : 'FAILED'} (${r.validation.reportKey})`);
  return lines.join('\n');
}

export function renderSnapshotList(r: { dataset: string; snapshots: SnapshotSummary[] }): string {
  if (r.snapshots.length === 0) return `no snapshots of ${r.dataset} yet (mlops data snapshot ${r.dataset} <folder>)`;
  return table(
    ['ID', 'CREATED', 'FILES', 'SIZE', 'PARENT', 'DESCRIPTION'],
    r.snapshots.map((s) => [
      shortId(s.id),
      s.createdAt,
      String(s.fileCount),
      formatBytes(s.totalBytes),
      s.parent ? shortId(s.parent) : '—',
      s.description ?? '',
    ]),
  );
}

export function renderShow(r: { manifest: SnapshotManifest; profile?: SnapshotProfile }): string {
  const m = r.manifest;
  const lines = [
    `snapshot ${m.id}`,
    `dataset ${m.dataset}, created ${m.createdAt}, parent ${m.parent ?? '—'}`,
    `source ${m.source}`,
    ...(m.description ? [`description ${m.description}`] : []),
    `${m.fileCount} files, ${formatBytes(m.totalBytes)}`,
    '',
    table(
      ['PATH', 'SIZE', 'SHA256'],
      m.files.slice(0, 50).map((f) => [f.path, formatBytes(f.size), shortId(f.sha256)]),
    ).trimEnd(),
  ];
  if (m.files.length > 50) lines.push(`… and ${m.files.length - 50} more (--json lists all)`);
  for (const file of r.profile?.files ?? []) {
    lines.push('', `${file.path}: ${file.rows} rows, ${file.columns.length} columns`);
    lines.push(
      table(
        ['COLUMN', 'TYPE', 'NULLS', 'MIN', 'MEDIAN', 'MAX', 'TOP VALUES'],
        file.columns.map((c) => [
          c.name,
          c.type,
          `${(c.nullRate * 100).toFixed(1)}%`,
          num(c.numeric?.min),
          num(c.numeric?.quantiles.find((q) => q.q === 0.5)?.value),
          num(c.numeric?.max),
          (c.categories ?? [])
            .slice(0, 3)
            .map((x) => `${x.value} (${x.count})`)
            .join(', '),
        ]),
      ).trimEnd(),
    );
  }
  return lines.join('\n');
}

export function renderDiff(d: SnapshotDiff): string {
  const lines = [`${d.dataset}: ${shortId(d.a)} → ${shortId(d.b)}`];
  const rows: string[][] = [
    ...d.added.map((f) => ['added', f.path, formatBytes(f.size)]),
    ...d.removed.map((f) => ['removed', f.path, formatBytes(f.size)]),
    ...d.changed.map((c) => ['changed', c.path, `${formatBytes(c.a.size)} → ${formatBytes(c.b.size)}`]),
  ];
  lines.push(
    rows.length === 0 ? 'no file changed' : table(['CHANGE', 'PATH', 'SIZE'], rows).trimEnd(),
    `${d.unchangedCount} files unchanged`,
  );
  if (d.truncated) {
    lines.push(
      `${d.addedCount} added, ${d.removedCount} removed, ${d.changedCount} changed in all (lists cut: --limit <n> or --all)`,
    );
  }
  for (const p of d.profileChanges) {
    const parts = [`rows ${p.rows.a ?? '—'} → ${p.rows.b ?? '—'}`];
    if (p.addedColumns.length) parts.push(`added columns ${p.addedColumns.join(', ')}`);
    if (p.removedColumns.length) parts.push(`removed columns ${p.removedColumns.join(', ')}`);
    for (const t of p.typeChanges) parts.push(`${t.column}: ${t.a} → ${t.b}`);
    lines.push(`${p.path}: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}

function num(value: number | undefined): string {
  if (value === undefined) return '';
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

export function renderValidation(r: ValidationReport): string {
  const rows = r.results.map((x) => [x.passed ? 'pass' : 'FAIL', x.expectation, x.file, x.message]);
  return [
    `${r.dataset}@${shortId(r.snapshot)}: ${r.passed ? 'passed' : 'FAILED'} (report ${r.reportKey})`,
    table(['', 'EXPECTATION', 'FILE', 'OBSERVED'], rows).trimEnd(),
  ].join('\n');
}
