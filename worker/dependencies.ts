/** Builds the real dependencies of activities from config: the one place backends are picked. */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../activities';
import { createBlobStore } from '../activities/storage';
import type { Config } from '../common/config';
import { parseStoreUri } from '../common/config';

export function buildActivityDeps(config: Config): ActivityDeps {
  return {
    store: createBlobStore(config.store),
    cacheDir: config.cacheDir,
    openStore: (uri) => {
      const parsed = parseStoreUri(uri, process.cwd(), config.s3);
      if (typeof parsed === 'string') throw ApplicationFailure.nonRetryable(`${uri}: ${parsed}`, 'InvalidSource');
      return createBlobStore(parsed);
    },
  };
}
