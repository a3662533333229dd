/** The individual expectation checks of ./validate.ts, each against one file's profile. */
import { DataError } from '../../common/failures';
import type { ColumnProfile, ColumnType, DatasetExpectations, ExpectationResult, FileProfile } from './types';

type Check = Omit<ExpectationResult, 'file'>;

/** Every expectation that applies, checked against one file. */
export function checkFile(file: FileProfile, e: DatasetExpectations): ExpectationResult[] {
  const columns = new Map(file.columns.map((column) => [column.name, column]));
  const checks: Check[] = [];
  for (const required of list(e.requiredColumns, 'requiredColumns')) {
    checks.push(requiredColumn(columns.get(required.name), required.name, required.type));
  }
  if (e.minRows !== undefined) {
    const min = number(e.minRows, 'minRows');
    checks.push({
      expectation: 'minRows',
      passed: file.rows >= min,
      expected: min,
      observed: file.rows,
      message: `${file.rows} rows, at least ${min} expected`,
    });
  }
  for (const [name, max] of entries(e.maxNullRate, 'maxNullRate')) {
    checks.push(nullRate(columns.get(name), name, number(max, `maxNullRate.${name}`)));
  }
  for (const [name, allowed] of entries(e.allowedCategories, 'allowedCategories')) {
    checks.push(categories(columns.get(name), name, list(allowed, `allowedCategories.${name}`).map(String)));
  }
  for (const [name, range] of entries(e.ranges, 'ranges')) checks.push(inRange(columns.get(name), name, range));
  if (e.labelColumn !== undefined) {
    const label = columns.get(e.labelColumn);
    checks.push({
      expectation: 'labelColumn',
      passed: label !== undefined,
      expected: e.labelColumn,
      observed: label ? { type: label.type, nullRate: label.nullRate } : null,
      message: label
        ? `label column ${e.labelColumn} present (${label.type})`
        : `label column ${e.labelColumn} is missing`,
    });
  }
  return checks.map((check) => ({ ...check, file: file.path, message: `${file.path}: ${check.message}` }));
}

function requiredColumn(column: ColumnProfile | undefined, name: string, type: ColumnType | undefined): Check {
  const base = { expectation: `requiredColumns.${name}`, expected: type ? { name, type } : { name } };
  if (!column) return { ...base, passed: false, observed: null, message: `column ${name} is missing` };
  // An integer column satisfies `number`.
  const passed = type === undefined || column.type === type || (type === 'number' && column.type === 'integer');
  const message = passed
    ? `column ${name} present (${column.type})`
    : `column ${name} is ${column.type}, ${type} expected`;
  return { ...base, passed, observed: { name, type: column.type }, message };
}

function nullRate(column: ColumnProfile | undefined, name: string, max: number): Check {
  const base = { expectation: `maxNullRate.${name}`, expected: max };
  if (!column) return { ...base, passed: false, observed: null, message: `column ${name} is missing` };
  const passed = column.nullRate <= max;
  const message = `${name} is ${percent(column.nullRate)} null (${column.nulls} of ${column.count}), at most ${percent(max)} allowed`;
  return { ...base, passed, observed: column.nullRate, message };
}

function categories(column: ColumnProfile | undefined, name: string, allowed: string[]): Check {
  const base = { expectation: `allowedCategories.${name}`, expected: allowed };
  if (!column) return { ...base, passed: false, observed: null, message: `column ${name} is missing` };
  const complete = column.categories !== undefined && column.otherCount === 0;
  const values = column.distinctValues ?? (complete ? column.categories!.map((c) => c.value) : undefined);
  const listed = values ?? column.categories?.map((c) => c.value) ?? [];
  const outside = listed.filter((value) => !allowed.includes(value));
  if (outside.length > 0) {
    const message = `${name} has values outside the allowed set: ${outside.slice(0, 10).join(', ')}`;
    return { ...base, passed: false, observed: outside, message };
  }
  if (values === undefined) {
    const message = `${name} has too many distinct values to list them all; cannot verify every value is allowed`;
    return { ...base, passed: false, observed: { distinct: column.distinct ?? null }, message };
  }
  return { ...base, passed: true, observed: values, message: `all ${values.length} values of ${name} are allowed` };
}

function inRange(column: ColumnProfile | undefined, name: string, range: { min?: number; max?: number }): Check {
  const base = { expectation: `ranges.${name}`, expected: range };
  if (!column) return { ...base, passed: false, observed: null, message: `column ${name} is missing` };
  if (!column.numeric) {
    const message = column.count === column.nulls ? `${name} has no values` : `${name} is ${column.type}, not numeric`;
    return { ...base, passed: column.count === column.nulls, observed: null, message };
  }
  const { min, max } = column.numeric;
  const low = range.min === undefined ? undefined : number(range.min, `ranges.${name}.min`);
  const high = range.max === undefined ? undefined : number(range.max, `ranges.${name}.max`);
  const passed = (low === undefined || min >= low) && (high === undefined || max <= high);
  const message = `${name} spans ${min} to ${max}; allowed ${low ?? '-∞'} to ${high ?? '∞'}`;
  return { ...base, passed, observed: { min, max }, message };
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

function number(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DataError('InvalidInput', `expectations.${field}: must be a number (got ${JSON.stringify(value)})`);
  }
  return value;
}

function list<T>(value: T[] | undefined, field: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new DataError('InvalidInput', `expectations.${field}: must be a list`);
  return value;
}

function entries<T>(value: Record<string, T> | undefined, field: string): [string, T][] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataError('InvalidInput', `expectations.${field}: must be a mapping of column to value`);
  }
  return Object.entries(value);
}
