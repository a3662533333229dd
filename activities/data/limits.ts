/**
 * The operator's limit on files per snapshot (`MLOPS_MAX_SNAPSHOT_FILES`): a source with more
 * files fails right after its scan, before anything is hashed or written, with a message naming
 * the limit, the setting and the count found. The scan of a local folder stops keeping entries
 * once past the limit and only counts the rest, so an oversized folder costs no memory either.
 */
import { DataError } from '../../common/failures';

/** Files one snapshot may hold unless the operator sets otherwise. */
export const DEFAULT_MAX_SNAPSHOT_FILES = 2_000_000;

/** The setting that changes the limit, for messages. */
export const MAX_SNAPSHOT_FILES_SETTING = 'MLOPS_MAX_SNAPSHOT_FILES';

/** Throws `SnapshotTooLarge` when `count` files are more than `max` (default `DEFAULT_MAX_SNAPSHOT_FILES`). */
export function checkFileLimit(count: number, sourceId: string, max = DEFAULT_MAX_SNAPSHOT_FILES): void {
  if (count <= max) return;
  throw new DataError(
    'SnapshotTooLarge',
    `source ${sourceId} holds ${count.toLocaleString('en-US')} files, more than the limit of ` +
      `${max.toLocaleString('en-US')} files per snapshot (${MAX_SNAPSHOT_FILES_SETTING}); ` +
      'snapshot a smaller folder or raise the setting',
    { sourceId, count, max },
  );
}
