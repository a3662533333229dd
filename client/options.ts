/** Option parsing shared by commands: repeatable flags, numbers, ports, and `--set key=value` param overrides. */
import { InvalidArgumentError } from 'commander';
import { UserError } from '../common/errors';
import { applyParamOverrides } from '../common/schemas/training-job';

/** For a repeatable option: collects every value given. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** An option parser for a positive integer; anything else is a usage error naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag}: expected a positive integer, got ${value}`, 2);
    return n;
  };
}

/** An option parser for a number from 0 to 1 (a share or rate); anything else is a usage error naming the flag. */
export function unitInterval(flag: string) {
  return (value: string): number => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!(n >= 0 && n <= 1))
      throw new UserError(`${flag}: expected a number from 0 to 1, got ${JSON.stringify(value)}`, 2);
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
    throw new UserError((err as Error).message, 2);
  }
}

/** The CLI flag of a camelCase input field: `maxErrorRate` → `max-error-rate`. */
export function flagOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
