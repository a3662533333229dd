/** Builds the real dependencies of activities from config: the one place backends are picked. */
import type { ActivityDeps } from '../activities';
import { createBlobStore } from '../activities/storage';
import type { Config } from '../common/config';

export function buildActivityDeps(config: Config): ActivityDeps {
  return { store: createBlobStore(config.store) };
}
