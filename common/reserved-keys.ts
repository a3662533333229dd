/**
 * Names that cannot be keys of the plain objects data turns into: `__proto__` is dropped by the
 * schema library and by object spreads (or replaces an object's prototype when assigned), and
 * `constructor` and `prototype` are found on every object that lacks them. A CSV column, a param,
 * a search-space entry or any key of a spec file with one of these names is refused, naming it,
 * instead of silently vanishing or breaking a lookup later (the drift baseline, MLOPS_PARAMS).
 */

/** Keys refused wherever user data becomes object keys. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `key` cannot be used as a name, or undefined when it can. */
export function reservedKeyProblem(key: string): string | undefined {
  return RESERVED_KEYS.has(key)
    ? `${JSON.stringify(key)} is a reserved name (__proto__, constructor and prototype cannot be keys): rename it`
    : undefined;
}

/** One reserved key found in parsed data, with its path (keys and indexes from the top). */
export interface ReservedKeyIssue {
  path: (string | number)[];
  message: string;
}

interface Visit {
  value: unknown;
  key?: string | number;
  parent?: Visit;
}

/** Every reserved key among the own keys of `value`'s objects, at any depth (as parsed from YAML or JSON). */
export function findReservedKeys(value: unknown): ReservedKeyIssue[] {
  const out: ReservedKeyIssue[] = [];
  // iterative, paths built only for what is found: a deeply nested file costs linear time, no stack
  const pending: Visit[] = [{ value }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const node = next.value;
    if (Array.isArray(node)) node.forEach((item, i) => pending.push({ value: item, key: i, parent: next }));
    else if (typeof node === 'object' && node !== null) {
      for (const key of Object.keys(node)) {
        const problem = reservedKeyProblem(key);
        if (problem) out.push({ path: pathOf({ value: undefined, key, parent: next }), message: problem });
        else pending.push({ value: (node as Record<string, unknown>)[key], key, parent: next });
      }
    }
  }
  return out;
}

function pathOf(visit: Visit): (string | number)[] {
  const path: (string | number)[] = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) path.unshift(v.key);
  return path;
}
