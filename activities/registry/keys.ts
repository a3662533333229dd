/** Where the registry keeps each object of a model (see ./types.ts for the layout). */
import { createHash } from 'node:crypto';

/** Keys of one model's objects; the name must be validated first (./validate.ts). */
export const modelKeys = {
  root: (model: string) => `models/${model}/`,
  state: (model: string) => `models/${model}/state.json`,
  versionsPrefix: (model: string) => `models/${model}/versions/`,
  version: (model: string, version: number) => `models/${model}/versions/${version}/version.json`,
  card: (model: string, version: number) => `models/${model}/versions/${version}/model-card.md`,
  auditPrefix: (model: string) => `models/${model}/audit/`,
  /** `<compact ISO time>-<id>.json`: keys sort by time; the basic ISO form keeps `:` out of file names. */
  audit: (model: string, at: string, id: string) => `models/${model}/audit/${compactTime(at)}-${id}.json`,
  run: (model: string, registrationKey: string) => `models/${model}/runs/${registrationKey}.json`,
};

/** The sha256 (hex) of an idempotency key: the registration key stored in the record and the index. */
export function registrationKeyOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex');
}

/** `2026-11-27T05:42:28.992Z` → `20261127T054228.992Z` (ISO 8601 basic format; sorts the same). */
export function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '');
}

/** The version number in a `…/versions/<n>/version.json` key, or undefined for other keys. */
export function versionOfKey(model: string, key: string): number | undefined {
  const match = /^(\d+)\/version\.json$/.exec(key.slice(modelKeys.versionsPrefix(model).length));
  return match ? Number(match[1]) : undefined;
}
