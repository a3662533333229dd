/**
 * Clearing what an earlier demo left, so a run starts from v1 again: its running workflows, the
 * endpoint in the gateway and its model servers, the stored model, dataset, experiments and
 * monitoring of `churn`, and the stack's worker (which remembers the versions removed).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { GatewayAdminClient } from '../../../activities/serving/gateway-client';
import type { BlobStore } from '../../../activities/storage/types';
import { stopProcessGroup } from '../../../client/dev/processes';
import { saveStack, workerRunning } from '../../../client/dev/stack-status';
import { MlEndpoint, MlPipeline } from '../../../common/search-attributes';
import type { LoadedConfig } from '../../../lib/config';
import { readStackFile } from '../../../lib/config/stack-file';
import { createServing } from '../../../worker/dependencies';
import type { Say } from './commands';
import { ENDPOINT, PIPELINE } from './example';

/** Stops and removes what an earlier demo left, so the run starts from v1 again. */
export async function reset(
  client: Client,
  store: BlobStore,
  admin: GatewayAdminClient,
  config: LoadedConfig,
  say: Say,
): Promise<void> {
  let stopped = 0;
  for await (const wf of client.workflow.list({
    query: `ExecutionStatus = 'Running' AND (${MlPipeline.name} = '${PIPELINE}' OR ${MlEndpoint.name} = '${ENDPOINT}')`,
  })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('reset by mlops demo')
      .catch(() => undefined);
    stopped += 1;
  }
  if (await admin.getEndpoint(ENDPOINT)) await admin.deleteEndpoint(ENDPOINT);
  // the model servers of the endpoint: their folders say which process is which
  const servingDir = path.join(config.home, 'serving', ENDPOINT);
  if (fs.existsSync(servingDir)) {
    const backend = createServing(config, store);
    for (const variant of fs.readdirSync(servingDir))
      await backend?.undeployVariant(ENDPOINT, variant).catch(() => undefined);
    fs.rmSync(servingDir, { recursive: true, force: true });
  }
  let removed = 0;
  for (const prefix of [
    `models/${PIPELINE}/`,
    `datasets/${PIPELINE}/`,
    `experiments/${PIPELINE}/`,
    `endpoints/${ENDPOINT}/`,
    `monitoring/${ENDPOINT}/`,
    `reports/monitoring/${ENDPOINT}/`,
  ]) {
    for await (const info of store.list(prefix)) {
      await store.delete(info.key);
      removed += 1;
    }
  }
  const worker = readStackFile(config.home).worker;
  if (worker && workerRunning(worker)) {
    await stopProcessGroup(worker.pid);
    saveStack(config.home, { ...readStackFile(config.home), worker: undefined });
    say(`   stopped the stack's worker (pid ${worker.pid})`);
  }
  say(
    stopped + removed === 0
      ? '   nothing to reset'
      : `   stopped ${stopped} workflow${stopped === 1 ? '' : 's'}, removed ${removed} stored object${removed === 1 ? '' : 's'}`,
  );
}
