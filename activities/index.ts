/**
 * All activities, built from their dependencies: `createActivities(deps)` is what the worker
 * registers and what workflows proxy (`proxyActivities<Activities>`). Each concern lives in its
 * own folder or file; backends are picked from config in the worker (worker/dependencies.ts).
 */
import { createHealthActivities } from './health';
import type { BlobStore } from './storage/types';

export interface ActivityDeps {
  store: BlobStore;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
