/**
 * `mlops doctor`: checks, one by one and in plain words, what the CLI and a worker need: the
 * configuration, the Temporal server (reachable, the namespace, the project's search attributes,
 * workers polling the task queues), the object store (a write, read and delete), the inference
 * gateway, whether decisions are signed (./doctor-approvals.ts), the payload codec keys and the
 * local tools. Exit 1 when a check fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { GatewayAdminError, gatewayAdminFromConfig } from '../../activities/serving/gateway-client';
import { createBlobStore } from '../../activities/storage';
import { isFailure } from '../../common/failures';
import { describeProject, loadConfig, type LoadedConfig } from '../../lib/config';
import { ML_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { REPO_ROOT, venvPackage } from '../../lib/tools';
import type { CommandContext } from '../context';
import { EXIT } from '../exit-codes';
import { table } from '../output';
import { approvalsCheck } from './doctor-approvals';

export interface DoctorCheck {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

const TYPE_NAMES: Record<string, number> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

export function registerDoctor(program: Command, ctx: () => CommandContext): void {
  program
    .command('doctor')
    .description('check the configuration, Temporal, the store, the gateway and the tools, and say what is wrong')
    .action(async () => {
      const checks = await diagnose(process.env);
      ctx().out.result({ ok: !checks.some((c) => c.status === 'fail'), checks }, (r) =>
        [
          table(
            ['CHECK', 'STATUS', 'DETAIL'],
            r.checks.map((c) => [c.check, c.status === 'ok' ? 'ok' : c.status.toUpperCase(), c.detail]),
          ).trimEnd(),
          '',
          r.ok ? 'all good' : 'fix the FAIL lines above (WARN lines are worth a look)',
        ].join('\n'),
      );
      if (checks.some((c) => c.status === 'fail')) process.exitCode = EXIT.failed;
    });
}

/** Runs every check; never throws (each problem is a line). */
export async function diagnose(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (check: string, status: DoctorCheck['status'], detail: string) => checks.push({ check, status, detail });
  let config: LoadedConfig;
  try {
    config = loadConfig(env);
    add(
      'configuration',
      'ok',
      `project ${describeProject(config.project)}, home ${config.home}, store ${config.store.uri}, actor ${config.actor}`,
    );
  } catch (err) {
    add('configuration', 'fail', (err as Error).message);
    return checks;
  }

  await temporalChecks(config, add);
  await storeCheck(config, add);
  await gatewayCheck(config, add);
  const approvals = await approvalsCheck(config);
  add('signed decisions', approvals.status, approvals.detail);
  try {
    const keys = codecKeysFromEnv(env);
    add(
      'payload codec',
      'ok',
      keys ? `on: keys ${Object.keys(keys.keys).join(', ')}, current ${keys.current}` : 'off (payloads in clear)',
    );
  } catch (err) {
    add('payload codec', 'fail', (err as Error).message);
  }
  const venv = path.join(REPO_ROOT, '.venv', 'bin');
  const missing = [
    ...(fs.existsSync(path.join(venv, 'python')) ? [] : ['python']),
    ...(venvPackage('kserve') ? [] : ['the kserve package (the model server)']),
  ];
  add(
    'python tools',
    missing.length === 0 ? 'ok' : 'warn',
    missing.length === 0
      ? `${venv} has python and kserve (local training and serving)`
      : `${missing.join(' and ')} missing in ${venv}: run npm run setup (needed to train locally and to serve)`,
  );
  return checks;
}

async function temporalChecks(config: LoadedConfig, add: (c: string, s: DoctorCheck['status'], d: string) => void) {
  const { address, namespace } = config.temporal;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.temporal.connectionOptions, connectTimeout: '5s' });
  } catch (err) {
    add(
      'temporal server',
      'fail',
      `cannot reach ${address}: ${(err as Error).message}. Start the local stack with \`mlops dev up\`, or set TEMPORAL_ADDRESS (and TEMPORAL_API_KEY or TLS settings for a remote cluster)`,
    );
    return;
  }
  try {
    const info = await connection.workflowService.getSystemInfo({});
    add('temporal server', 'ok', `${address} answers (server ${info.serverVersion || 'version unknown'})`);
    try {
      await connection.workflowService.describeNamespace({ namespace });
      add('namespace', 'ok', `${namespace} exists`);
    } catch (err) {
      add(
        'namespace',
        'fail',
        `${namespace} not found or not allowed (${(err as Error).message}); set TEMPORAL_NAMESPACE, or create it`,
      );
      return;
    }
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      const have = listed.customAttributes ?? {};
      const problems = ML_SEARCH_ATTRIBUTES.flatMap((key) => {
        const typeName = key.type === 'KEYWORD' ? 'Keyword' : 'Double';
        const got = have[key.name];
        if (got === undefined) return [`${key.name} is missing`];
        return got === TYPE_NAMES[typeName] ? [] : [`${key.name} has another type (wants ${typeName})`];
      });
      add(
        'search attributes',
        problems.length === 0 ? 'ok' : 'fail',
        problems.length === 0
          ? `all ${ML_SEARCH_ATTRIBUTES.length} registered (${ML_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')})`
          : `${problems.join('; ')}: register them, e.g. temporal operator search-attribute create --namespace ${namespace} ` +
              ML_SEARCH_ATTRIBUTES.map(
                (k) => `--name ${k.name} --type ${k.type === 'KEYWORD' ? 'Keyword' : 'Double'}`,
              ).join(' '),
      );
    } catch (err) {
      add('search attributes', 'warn', `could not list them (${(err as Error).message})`);
    }
    for (const queue of [config.taskQueue, config.trainingTaskQueue, config.servingTaskQueue]) {
      try {
        const described = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: queue },
          taskQueueType:
            queue === config.taskQueue
              ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
              : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        const pollers = described.pollers?.length ?? 0;
        add(
          `workers on ${queue}`,
          pollers > 0 ? 'ok' : 'warn',
          pollers > 0
            ? `${pollers} polling (${[...new Set((described.pollers ?? []).map((p) => p.identity))].slice(0, 3).join(', ')})`
            : `no worker polls ${queue} (lately): start one with \`mlops worker\` (or \`mlops dev up --worker\`)`,
        );
      } catch (err) {
        add(`workers on ${queue}`, 'warn', `could not describe the task queue (${(err as Error).message})`);
      }
    }
  } finally {
    await connection.close();
  }
}

async function storeCheck(config: LoadedConfig, add: (c: string, s: DoctorCheck['status'], d: string) => void) {
  const store = createBlobStore(config.store);
  const key = `_doctor/${randomUUID()}.txt`;
  const started = Date.now();
  try {
    // a HEAD first: a store that refuses the credentials answers it with a body-less 403
    await store.head(key);
    await store.put(key, 'mlops doctor');
    const back = (await store.getBytes(key)).toString();
    await store.delete(key);
    if (back !== 'mlops doctor') throw new Error('read back something else than was written');
    add('object store', 'ok', `${config.store.uri}: write, read, delete in ${Date.now() - started} ms`);
  } catch (err) {
    if (isFailure(err, 'StoreAccessDenied')) {
      // the message names the endpoint, bucket and access key id, and what to check
      add('object store', 'fail', `${config.store.uri}: ${err.message}`);
      return;
    }
    const hint =
      config.store.kind === 's3'
        ? 'check MLOPS_STORE, MLOPS_S3_ENDPOINT and the AWS credentials (or `mlops dev up --store s3`)'
        : 'check that MLOPS_STORE / MLOPS_HOME points at a writable folder';
    add('object store', 'fail', `${config.store.uri}: ${(err as Error).message}; ${hint}`);
  }
}

async function gatewayCheck(config: LoadedConfig, add: (c: string, s: DoctorCheck['status'], d: string) => void) {
  if (!config.gateway) {
    add('inference gateway', 'warn', 'none configured: serving and rollouts need `mlops dev up` or MLOPS_GATEWAY_*');
    return;
  }
  try {
    const res = await fetch(`${config.gateway.url}/v2/health/ready`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
    // through the admin client, so an https admin API with MLOPS_GATEWAY_ADMIN_CA is checked as workers reach it
    try {
      await gatewayAdminFromConfig(config.gateway).listEndpoints();
    } catch (error) {
      if (error instanceof GatewayAdminError && error.status === 401)
        throw new Error('its admin API refuses the token (MLOPS_GATEWAY_TOKEN)');
      throw new Error(`its admin API: ${(error as Error).message}`);
    }
    add(
      'inference gateway',
      'ok',
      `${config.gateway.url} ready, admin API ${config.gateway.adminUrl} accepts the token`,
    );
  } catch (err) {
    add('inference gateway', 'fail', `${config.gateway.url}: ${(err as Error).message}`);
  }
}
