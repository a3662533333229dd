/** Builds the real dependencies of activities from config: the one place backends are picked. */
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../activities';
import { createBlobStore } from '../activities/storage';
import type { Config } from '../common/config';
import { parseStoreUri } from '../common/config';
import { createRoutingBackend, rayStoreEnv } from '../activities/training';
import { REPO_ROOT } from '../infra/dev/tools';

/** The project's pinned Python (`npm run setup`): training jobs that start with `python` run it. */
const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export function buildActivityDeps(config: Config): ActivityDeps {
  const store = createBlobStore(config.store);
  return {
    store,
    trainingBackend: createRoutingBackend({
      local: {
        store,
        workRoot: path.join(config.home, 'jobs'),
        python: fs.existsSync(VENV_PYTHON) ? VENV_PYTHON : undefined,
      },
      ray: config.ray ? { address: config.ray.address, store, storeEnv: rayStoreEnv(config.store) } : undefined,
    }),
    cacheDir: config.cacheDir,
    openStore: (uri) => {
      const parsed = parseStoreUri(uri, process.cwd(), config.s3);
      if (typeof parsed === 'string') throw ApplicationFailure.nonRetryable(`${uri}: ${parsed}`, 'InvalidSource');
      return createBlobStore(parsed);
    },
  };
}
