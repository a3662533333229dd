/** Times given on the command line (`--from`, `--to`): ISO 8601, read without guessing a time zone. */
import { UserError } from '../../common/errors';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses `2026-01-01` (midnight UTC) or `2026-01-01T03:00:00Z` / `…+02:00`. A date-time needs a zone
 * (Z or an offset); anything else is a usage error (exit 2) naming the flag.
 */
export function parseTimeFlag(flag: string, value: string): Date {
  const text = value.trim();
  const example = 'e.g. 2026-01-01 or 2026-01-01T03:00:00Z';
  const dateOnly = DATE.exec(text);
  const dateTime = dateOnly ? undefined : DATE_TIME.exec(text);
  if (!dateOnly && !dateTime)
    throw new UserError(`${flag}: expected an ISO 8601 time (${example}), got ${JSON.stringify(value)}`, 2);
  if (dateTime && !dateTime[7])
    throw new UserError(
      `${flag}: ${JSON.stringify(value)} has no time zone: add Z (UTC) or an offset such as +02:00`,
      2,
    );
  const parts = (dateOnly ?? dateTime)!;
  const [year, month, day, hour = '0', minute = '0', second = '0'] = parts.slice(1).map((p) => p ?? '0');
  const date = new Date(dateOnly ? `${text}T00:00:00Z` : text);
  const fieldsValid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysIn(Number(year), Number(month)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59;
  if (!fieldsValid || Number.isNaN(date.getTime()))
    throw new UserError(`${flag}: ${JSON.stringify(value)} is not a real date and time (${example})`, 2);
  return date;
}

/** `--from` and `--to` as a half-open range [from, to); `--to` must come after `--from`. */
export function parseTimeRange(from: string, to: string): { from: Date; to: Date } {
  const range = { from: parseTimeFlag('--from', from), to: parseTimeFlag('--to', to) };
  if (range.to.getTime() <= range.from.getTime())
    throw new UserError(`--to: must be after --from (${range.from.toISOString()})`, 2);
  return range;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
