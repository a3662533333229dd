/**
 * Option parsing shared by commands: repeatable flags, numbers, ports, `--set key=value` param
 * overrides, and the one vocabulary of every command: `--actor` (who), `--reason` (why), `--sort`
 * with `--order`, durations such as `30s` / `10m`, and hidden aliases for the old spellings.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isDuration, parseDuration } from '../common/duration';
import { UserError } from '../common/errors';
import { applyParamOverrides } from '../common/schemas/training-job';
import { EXIT } from './exit-codes';

/** For a repeatable option: collects every value given. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** An option parser for a positive integer; anything else is a usage error naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`${flag}: expected a positive integer, got ${value}`, EXIT.badInput);
    return n;
  };
}

/** An option parser for a number from 0 to 1 (a share or rate); anything else is a usage error naming the flag. */
export function unitInterval(flag: string) {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!(n >= 0 && n <= 1))
      throw new UserError(`${flag}: expected a number from 0 to 1, got ${JSON.stringify(value)}`, EXIT.badInput);
    return n;
  };
}

/** Parses a TCP port argument; commander names the option in its usage error (exit 2). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError('expected a port from 1 to 65535.');
  return port;
}

/** `params` with the `--set key=value` overrides applied; a malformed one is a usage error. */
export function withOverrides(params: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  try {
    return applyParamOverrides(params, sets);
  } catch (err) {
    throw new UserError((err as Error).message, EXIT.badInput);
  }
}

/** The CLI flag of a camelCase input field: `maxErrorRate` → `max-error-rate`. */
export function flagOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Adds a hidden old spelling of an option: `flags` (e.g. `--as <actor>`) sets the option whose
 * attribute is `target` (e.g. `actor`), to the value given or to `value` for a flag without one
 * (`--asc` sets `order` to `asc`). Kept so scripts written for older releases keep working.
 */
export function hiddenAlias(command: Command, flags: string, target: string, value?: string): Command {
  const option = new Option(flags).hideHelp();
  command.addOption(option);
  command.on(`option:${option.name()}`, (given: string | undefined) => {
    command.setOptionValueWithSource(target, value ?? given, 'cli');
  });
  return command;
}

/** `--actor <name>` (who acts; old spelling `--as`, hidden), on a command where someone acts. */
export function actorOption(command: Command, who = 'who'): Command {
  command.option('--actor <name>', `${who} (default: MLOPS_ACTOR, else user@host)`);
  return hiddenAlias(command, '--as <actor>', 'actor');
}

/**
 * `--reason <text>` (why), required or not; `oldSpelling` (e.g. `--comment <text>`) is kept as a
 * hidden alias where a command spelt it so before.
 */
export function reasonOption(
  command: Command,
  opts: { required?: boolean; description?: string; oldSpelling?: string } = {},
): Command {
  const description = opts.description ?? 'why (recorded in the history)';
  if (opts.required) command.requiredOption('--reason <text>', description);
  else command.option('--reason <text>', description);
  return opts.oldSpelling ? hiddenAlias(command, opts.oldSpelling, 'reason') : command;
}

/** The sort orders `--order` takes. */
export type SortOrder = 'asc' | 'desc';

/**
 * `--sort <field>` and `--order asc|desc`, the one sorting pair of every command that sorts.
 * Without `--order`, the `ascending` fields (e.g. trial numbers, times) sort ascending and the
 * others (metrics) descending, best first: see `sortOrderOf`.
 */
export function sortOptions(command: Command, fields: string, defaultField: string): Command {
  return command
    .option('--sort <field>', `sort by ${fields}`, defaultField)
    .addOption(
      new Option('--order <order>', 'asc or desc (default: descending for metrics, else ascending)').choices([
        'asc',
        'desc',
      ]),
    );
}

/** The order of a sort: `order` when given, else ascending for the `ascending` fields, descending for the rest. */
export function sortOrderOf(
  sort: string,
  order: SortOrder | undefined,
  ascending: readonly string[] = ['trial', 'startedAt'],
): SortOrder {
  return order ?? (ascending.includes(sort) ? 'asc' : 'desc');
}

export interface DurationOptions {
  /**
   * What a bare number means, for a flag that documented one before durations (`--timeout 15`:
   * minutes). Absent: a bare number is an error naming the flag and the expected form.
   */
  bareUnit?: 's' | 'm';
  /** Whether `0s` is accepted (e.g. "try once"). @default false */
  allowZero?: boolean;
}

/**
 * An option parser for a duration flag: `30s`, `10m`, `1h30m` (common/duration.ts) → milliseconds.
 * Anything else is a usage error (exit 2) naming the flag and the expected form.
 */
export function durationOption(flag: string, opts: DurationOptions = {}): (value: string) => number {
  return (value: string): number => {
    const text = value.trim();
    const bare = opts.bareUnit !== undefined && /^\d+(?:\.\d+)?$/.test(text) ? `${text}${opts.bareUnit}` : text;
    const example = opts.allowZero ? '30s, 10m or 0s' : '30s or 10m';
    const unit = opts.bareUnit ? ` (a bare number is ${opts.bareUnit === 's' ? 'seconds' : 'minutes'})` : '';
    if (!isDuration(bare))
      throw new UserError(
        `${flag}: expected a duration such as ${example}${unit}, got ${JSON.stringify(value)}`,
        EXIT.badInput,
      );
    const ms = parseDuration(bare);
    if (ms === 0 && !opts.allowZero)
      throw new UserError(`${flag}: expected a duration longer than 0, got ${JSON.stringify(value)}`, EXIT.badInput);
    return ms;
  };
}

/**
 * A duration flag (`flags` such as `--connect-timeout <duration>`) parsed to milliseconds by
 * `durationOption`, with its default given as a duration (`2m`) and shown so in help
 * (`(default: 2m)`, not 120000).
 */
export function durationFlag(
  flags: string,
  description: string,
  opts: DurationOptions & { default?: string | number } = {},
): Option {
  const option = new Option(flags, description);
  const parse = durationOption(option.long ?? flags, opts);
  option.argParser(parse);
  if (opts.default === undefined) return option;
  const ms = typeof opts.default === 'number' ? opts.default : parse(opts.default);
  return option.default(ms, typeof opts.default === 'number' ? formatDuration(ms) : opts.default);
}

/** Milliseconds as the largest whole units: 120000 → `2m`, 90000 → `1m30s`, 250 → `250ms`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const;
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}
