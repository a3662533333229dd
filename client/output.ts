/** Printing results: human text by default, one JSON document with the global `--json`. */

export interface Output {
  readonly json: boolean;
  /** Prints `data` as JSON (with --json) or the text `human(data)` returns. */
  result<T>(data: T, human: (data: T) => string): void;
  /** A progress or info line for humans; silent with --json (stdout stays pure JSON). */
  info(message: string): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout): Output {
  return {
    json,
    result(data, human) {
      stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : ensureNewline(human(data)));
    },
    info(message) {
      if (!json) process.stderr.write(ensureNewline(message));
    },
  };
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
