/**
 * Printing results: human text by default (`-o table`), one JSON or YAML document with the global
 * `-o json` (`--json`) or `-o yaml`.
 */
import type * as YamlModule from 'yaml';

/** The formats of the global `-o, --output`. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Output {
  /** True for any machine-readable format (json, yaml): stdout holds one document only. */
  readonly json: boolean;
  readonly format: OutputFormat;
  /** Prints `data` as the machine format asked for, else the text `human(data)` returns. */
  result<T>(data: T, human: (data: T) => string): void;
  /** A progress or info line for humans; silent with a machine format (stdout stays one document). */
  info(message: string): void;
}

/** `format` may be given as a boolean: true is json (the former `--json` switch), false table. */
export function createOutput(format: OutputFormat | boolean, stdout: NodeJS.WritableStream = process.stdout): Output {
  const fmt: OutputFormat = format === true ? 'json' : format === false ? 'table' : format;
  const json = fmt !== 'table';
  return {
    json,
    format: fmt,
    result(data, human) {
      stdout.write(json ? formatDocument(data, fmt) : ensureNewline(human(data)));
    },
    info(message) {
      if (!json) process.stderr.write(ensureNewline(message));
    },
  };
}

/** `data` as one JSON or YAML document (what JSON.stringify keeps: Dates as ISO strings, no undefined). */
export function formatDocument(data: unknown, format: OutputFormat): string {
  const text = JSON.stringify(data, null, 2) ?? 'null';
  if (format !== 'yaml') return text + '\n';
  // loaded only when asked for, so the other formats do not pay for it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stringify } = require('yaml') as typeof YamlModule;
  return stringify(JSON.parse(text));
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

/** Formats rows as an aligned plain-text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
