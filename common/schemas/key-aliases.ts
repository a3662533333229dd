/**
 * Deprecated spellings of keys in the files users write (job, sweep and pipeline files): each schema
 * registers its aliases here, and the file reader (client/job-file.ts) renames an alias to its key,
 * with a warning naming the file, the line and both keys, before the schema checks the file.
 */
import { z } from 'zod';

/** One deprecated key: `from` at `at` (a path of object keys, [] for the top) is read as `to`. */
export interface KeyAlias {
  at: readonly string[];
  from: string;
  to: string;
}

/** The aliases of each schema that has some. */
export const keyAliases = z.registry<{ aliases: readonly KeyAlias[] }>();

/** A use of an alias in a file's data, after `applyKeyAliases` renamed it. */
export interface AliasUse {
  path: string[];
  alias: KeyAlias;
  /** Both spellings were given: the alias was dropped, the key kept. */
  conflict: boolean;
}

/** Renames, in `data` (plain data from YAML, changed in place), every alias of `schema`; returns where it did. */
export function applyKeyAliases(schema: z.ZodType, data: unknown): AliasUse[] {
  const uses: AliasUse[] = [];
  for (const alias of keyAliases.get(schema)?.aliases ?? []) {
    let node: unknown = data;
    for (const key of alias.at) node = isObject(node) ? node[key] : undefined;
    if (!isObject(node) || !Object.hasOwn(node, alias.from)) continue;
    const conflict = Object.hasOwn(node, alias.to);
    if (!conflict) node[alias.to] = node[alias.from];
    delete node[alias.from];
    uses.push({ path: [...alias.at, alias.from], alias, conflict });
  }
  return uses;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
