/**
 * Recording histories for the replay suite (test/replay/): with MLOPS_RECORD_HISTORIES=1
 * (`npm run record-histories`), the suites that run each workflow type keep their runs' histories
 * in test/replay/histories/<name>.json; otherwise `recordHistory` does nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { REPO_ROOT } from '../../lib/tools';
import { testStack } from './stack';

export const HISTORIES_DIR = path.join(REPO_ROOT, 'test', 'replay', 'histories');

export const recordingHistories = () => process.env.MLOPS_RECORD_HISTORIES === '1';

/** Keeps the history of `workflowId` (its latest run, or `runId`) as `<name>.json` when recording. */
export async function recordHistory(name: string, workflowId: string, runId?: string): Promise<void> {
  if (!recordingHistories()) return;
  const history = await testStack().env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  fs.writeFileSync(`${file}.tmp`, historyToJSON(history));
  fs.renameSync(`${file}.tmp`, file);
}
