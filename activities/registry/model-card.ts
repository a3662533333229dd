/** The model card: one markdown page per version, from its record, current status, aliases and audit trail. */
import type { AuditEntry, ModelStatus, ModelVersion } from './types';

export interface ModelCardInput {
  record: ModelVersion;
  status: ModelStatus;
  aliases: string[];
  audit: AuditEntry[];
  /** Where the card is generated from, e.g. the store URI. */
  source?: string;
}

/** Renders the model card of one version as markdown. */
export function renderModelCard({ record, status, aliases, audit, source }: ModelCardInput): string {
  const lines = [`# ${record.model} — version ${record.version}`, ''];
  if (record.description) lines.push(record.description, '');
  lines.push(
    `- **Status:** ${status}`,
    `- **Aliases:** ${aliases.length === 0 ? '—' : aliases.map((alias) => `\`${alias}\``).join(', ')}`,
    `- **Registered:** ${record.createdAt} by ${record.createdBy}`,
    '',
    '## Lineage',
    '',
    table(
      ['Source', 'Reference'],
      [
        ['Training snapshot', snapshot(record.trainingSnapshot)],
        ['Evaluation snapshot', record.evaluationSnapshot ? snapshot(record.evaluationSnapshot) : '—'],
        ...(record.steps ?? []).map(({ step, dataset, id }) => [`Step \`${step}\` output`, snapshot({ dataset, id })]),
        ['Code version', code(record.codeVersion)],
        ['Pipeline run', code(record.pipelineRun)],
        ['Trigger', record.trigger],
        ['Artifact', code(record.artifactUri)],
      ],
    ),
    '',
    '## Metrics',
    '',
    entriesTable(['Metric', 'Value'], record.metrics, (value) => formatNumber(value)),
    '',
    '## Parameters',
    '',
    entriesTable(['Parameter', 'Value'], record.params, (value) => code(JSON.stringify(value) ?? 'undefined')),
  );
  if (record.tags && Object.keys(record.tags).length > 0)
    lines.push(
      '',
      '## Tags',
      '',
      entriesTable(['Tag', 'Value'], record.tags, (value) => value),
    );
  lines.push(
    '',
    '## Audit trail',
    '',
    audit.length === 0
      ? '_No entries._'
      : table(
          ['When', 'Who', 'What', 'Why'],
          audit.map((entry) => [
            entry.at,
            entry.signedBy ? `${entry.actor} (key ${entry.signedBy})` : entry.actor,
            describe(entry),
            entry.reason,
          ]),
        ),
    '',
  );
  if (source) lines.push(`<sub>Generated from ${source}.</sub>`, '');
  return lines.join('\n');
}

function describe(entry: AuditEntry): string {
  const from = entry.from === undefined || entry.from === null ? '—' : String(entry.from);
  const to = entry.to === undefined || entry.to === null ? '—' : String(entry.to);
  switch (entry.action) {
    case 'register':
      return `registered version ${entry.version} as ${to}`;
    case 'alias':
      return `alias \`${entry.alias}\`: ${from} → ${to}`;
    case 'status':
      return `version ${entry.version}: ${from} → ${to}`;
    default:
      return `${entry.action} ${from} → ${to}`;
  }
}

function snapshot(ref: { dataset: string; id: string }): string {
  return `${ref.dataset} @ ${code(ref.id)}`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function entriesTable<T>(header: [string, string], values: Record<string, T>, format: (value: T) => string): string {
  const rows = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return '_None recorded._';
  return table(
    header,
    rows.map(([name, value]) => [name, format(value)]),
  );
}

function table(header: string[], rows: string[][]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}
