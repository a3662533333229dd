/**
 * Profiles one column of a table (CSV or Parquet) as its values stream past.
 *
 * - CSV values (`add`) are trimmed; pandas' default NA strings (`''`, `NA`, `null`, `NaN`, `N/A`,
 *   `None`, …) are nulls. Typed values (`addValue`, from a Parquet file) are taken as they are,
 *   `null` being the only null, and a column the file declares as text or as floating point is
 *   profiled as `string` or `number` whatever its values look like.
 * - The type is the first of integer, number, boolean, datetime (ISO 8601 date or date-time) that
 *   every non-null value fits; otherwise, or when every value is null, string.
 * - Value frequencies are counted exactly for up to `MAX_TRACKED` distinct values; past that, new
 *   values are no longer tracked and `distinct` is left out. Categories (the 50 most frequent
 *   values, ties in byte order, and the count of all others) are given for string and boolean
 *   columns and for integer columns of at most 50 distinct values.
 * - Memory and time are bounded whatever the data: the type checks are linear scans (no regex
 *   that backtracks), a value longer than `MAX_TRACKED_VALUE_CHARS` is not tracked, and a column
 *   stops tracking new values once they hold `MAX_TRACKED_CHARS` characters; either way `distinct`
 *   is then left out, as for a column of too many distinct values.
 */
import { comparePaths } from './canonical';
import { NumericAccumulator } from './numeric-stats';
import type { ColumnProfile, ColumnType } from './types';

export const NULL_VALUES: ReadonlySet<string> = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN',
  '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null',
]); // prettier-ignore

const TOP_CATEGORIES = 50;
const MAX_TRACKED = 10_000;
const MAX_LISTED_VALUES = 1_000;
/** The longest value counted as a distinct value (longer ones are text, not categories). */
export const MAX_TRACKED_VALUE_CHARS = 1024;
/** Characters of tracked values a column keeps at most (a few MiB: 10,000 values of 400 characters). */
export const MAX_TRACKED_CHARS = 4_000_000;

const INTEGER = /^[+-]?\d+$/;
const BOOLEAN = /^(?:true|false)$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Accumulates one column. */
export class ColumnAccumulator {
  private count = 0;
  private nulls = 0;
  private integer = true;
  private number = true;
  private boolean = true;
  private datetime = true;
  private numeric: NumericAccumulator | undefined;
  private readonly frequencies = new Map<string, number>();
  private overflowed = false;
  private trackedChars = 0;

  constructor(
    readonly name: string,
    seed: number,
    /** The type the file declares, for the two that values alone cannot tell: text and floating point. */
    declared?: 'string' | 'number',
  ) {
    this.numeric = new NumericAccumulator(seed);
    if (declared === 'string') {
      this.integer = this.number = this.boolean = this.datetime = false;
      this.numeric = undefined;
    } else if (declared === 'number') this.integer = false;
  }

  /** One CSV field: trimmed, and null when it is one of pandas' NA strings. */
  add(raw: string): void {
    const value = raw.trim();
    this.addValue(NULL_VALUES.has(value) ? null : value);
  }

  /** One typed value, as text (./parquet.ts renders it), or `null`. */
  addValue(value: string | null): void {
    this.count++;
    if (value === null) {
      this.nulls++;
      return;
    }
    if (this.number) this.addNumber(value);
    if (this.boolean && !BOOLEAN.test(value)) this.boolean = false;
    if (this.datetime && !(DATETIME.test(value) && !Number.isNaN(Date.parse(value)))) this.datetime = false;
    const seen = this.frequencies.get(value);
    if (seen !== undefined) this.frequencies.set(value, seen + 1);
    else if (
      this.frequencies.size < MAX_TRACKED &&
      value.length <= MAX_TRACKED_VALUE_CHARS &&
      this.trackedChars + value.length <= MAX_TRACKED_CHARS
    ) {
      this.frequencies.set(value, 1);
      this.trackedChars += value.length;
    } else this.overflowed = true;
  }

  finish(): ColumnProfile {
    const nonNull = this.count - this.nulls;
    const type = this.type(nonNull);
    const profile: ColumnProfile = {
      name: this.name,
      type,
      count: this.count,
      nulls: this.nulls,
      nullRate: this.count === 0 ? 0 : this.nulls / this.count,
    };
    const distinct = this.overflowed ? undefined : this.frequencies.size;
    if (distinct !== undefined) profile.distinct = distinct;
    const categorical =
      type === 'string' ||
      type === 'boolean' ||
      (type === 'integer' && distinct !== undefined && distinct <= TOP_CATEGORIES);
    if (distinct !== undefined && distinct <= MAX_LISTED_VALUES && (categorical || type === 'integer')) {
      const values = [...this.frequencies.keys()];
      profile.distinctValues =
        type === 'integer' ? values.sort((a, b) => Number(a) - Number(b)) : values.sort(comparePaths);
    }
    if (type === 'integer' || type === 'number') profile.numeric = this.numeric?.finish();
    if (categorical && nonNull > 0) {
      const top = [...this.frequencies]
        .sort((a, b) => b[1] - a[1] || comparePaths(a[0], b[0]))
        .slice(0, TOP_CATEGORIES)
        .map(([value, count]) => ({ value, count }));
      profile.categories = top;
      profile.otherCount = nonNull - top.reduce((sum, c) => sum + c.count, 0);
    }
    return profile;
  }

  private addNumber(value: string): void {
    const x = isNumberSyntax(value) ? Number(value) : NaN;
    if (!Number.isFinite(x)) {
      this.number = false;
      this.integer = false;
      this.numeric = undefined;
      return;
    }
    if (this.integer && !(INTEGER.test(value) && Number.isSafeInteger(x))) this.integer = false;
    this.numeric?.add(x);
  }

  private type(nonNull: number): ColumnType {
    if (nonNull === 0) return 'string';
    if (this.integer) return 'integer';
    if (this.number) return 'number';
    if (this.boolean) return 'boolean';
    if (this.datetime) return 'datetime';
    return 'string';
  }
}

/**
 * Whether `text` is a decimal number: an optional sign, digits with an optional point (`1`, `1.`,
 * `1.5`, `.5`), an optional exponent (`e-3`). One pass, so a field of a million digits costs a
 * million steps, where a backtracking regex took quadratic time.
 */
export function isNumberSyntax(text: string): boolean {
  const n = text.length;
  let i = 0;
  const digits = (): number => {
    const start = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    return i - start;
  };
  if (i < n && (text[i] === '+' || text[i] === '-')) i++;
  let mantissa = digits();
  if (i < n && text[i] === '.') {
    i++;
    mantissa += digits();
  }
  if (mantissa === 0) return false;
  if (i < n && (text[i] === 'e' || text[i] === 'E')) {
    i++;
    if (i < n && (text[i] === '+' || text[i] === '-')) i++;
    if (digits() === 0) return false;
  }
  return i === n;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** A seed for a column's sample: FNV-1a of its index and name, so equal content always samples alike. */
export function columnSeed(index: number, name: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${index}:${name}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
