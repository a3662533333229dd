/**
 * Checks cron expressions of pipeline schedules before they reach Temporal: five fields (minute,
 * hour, day of month, month, day of week), each `*`, a number, a range `a-b`, a step (`*\/n`,
 * `a-b/n`, `a/n`) or a comma list of those; month and day-of-week names (JAN, MON…); and the
 * shorthands @yearly, @monthly, @weekly, @daily, @hourly. Pure: safe in workflow code.
 */

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 0 and 7 are both Sunday
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

export const CRON_SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** What is wrong with a cron expression, naming the bad field; undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('@')) {
    return CRON_SHORTHANDS.includes(text.toLowerCase())
      ? undefined
      : `unknown shorthand ${JSON.stringify(text)}: use one of ${CRON_SHORTHANDS.join(', ')} or five fields`;
  }
  const parts = text === '' ? [] : text.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    return `needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  }
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(parts[i]!, field);
    if (problem) return `${field.name} field ${JSON.stringify(parts[i])}: ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return 'empty list item';
    const problem = itemProblem(item, field);
    if (problem) return problem;
  }
  return undefined;
}

function itemProblem(item: string, field: CronField): string | undefined {
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length > 0) return `${JSON.stringify(item)} has more than one /`;
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) < 1) return `step ${JSON.stringify(step)} must be a positive whole number`;
    if (Number(step) > field.max) return `step ${step} is larger than the field's range ${field.min}-${field.max}`;
  }
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `${JSON.stringify(range)} is not a value or a range a-b`;
  const values: number[] = [];
  for (const bound of bounds) {
    const value = valueOf(bound, field);
    if (typeof value === 'string') return value;
    values.push(value);
  }
  if (values.length === 2 && values[0]! > values[1]!) return `range ${range} runs backwards`;
  return undefined;
}

function valueOf(text: string, field: CronField): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < field.min || n > field.max ? `${n} is out of range ${field.min}-${field.max}` : n;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + (field.name === 'month' ? 1 : 0);
  const hint = field.names ? ` or a name (${field.names.join(', ')})` : '';
  return `${JSON.stringify(text)} is not a number ${field.min}-${field.max}${hint}`;
}
