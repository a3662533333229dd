/**
 * Serving for tests: the real gateway in-process (free ports, its state under `home`) and real
 * `LocalServingBackend`s over it, the project's model server run by the venv's Python. `stop()`
 * undeploys what the backend knows of (stopping every model server it started) and closes the gateway.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LocalServingBackend, type LocalServingDeps } from '../../activities/serving';
import type { BlobStore } from '../../activities/storage/types';
import { REPO_ROOT } from '../../lib/tools';
import { startGateway, type RunningGateway } from '../../gateway';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';

export const TEST_GATEWAY_TOKEN = 'serving-test-token';
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export interface TestServing {
  gateway: RunningGateway;
  admin: GatewayAdminClient;
  /** `<home>/serving`: where variants live (what a worker with MLOPS_HOME=home uses). */
  servingRoot: string;
  /** A new backend over the same folder and gateway (a second one plays a restarted worker), with `options` if given. */
  backend(options?: Pick<LocalServingDeps, 'bindHost' | 'advertiseHost'>): LocalServingBackend;
  /** The CLI's gateway variables for this stack. */
  env: { MLOPS_GATEWAY_URL: string; MLOPS_GATEWAY_ADMIN_URL: string; MLOPS_GATEWAY_TOKEN: string };
  stop(): Promise<void>;
}

/** Starts the gateway and returns backends over it, with variants under `<home>/serving`. */
export async function startTestServing(store: BlobStore, home: string): Promise<TestServing> {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run npm run setup`);
  const servingRoot = path.join(home, 'serving');
  const gateway = await startGateway({
    stateFile: path.join(home, 'gateway', 'state.json'),
    store,
    adminToken: TEST_GATEWAY_TOKEN,
    port: 0,
    adminPort: 0,
    log: () => undefined,
  });
  const admin = new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: TEST_GATEWAY_TOKEN });
  const backend = (options: Pick<LocalServingDeps, 'bindHost' | 'advertiseHost'> = {}) =>
    new LocalServingBackend({
      store,
      gateway: admin,
      servingRoot,
      python: PYTHON,
      killGraceMs: 5000,
      pollMs: 100,
      ...options,
    });
  return {
    gateway,
    admin,
    servingRoot,
    backend,
    env: {
      MLOPS_GATEWAY_URL: gateway.url,
      MLOPS_GATEWAY_ADMIN_URL: gateway.adminUrl,
      MLOPS_GATEWAY_TOKEN: TEST_GATEWAY_TOKEN,
    },
    async stop() {
      const cleanup = backend();
      for (const endpoint of await cleanup.listEndpoints().catch(() => [] as string[])) {
        // the gateway entry first: then each undeploy only stops its server
        await admin.deleteEndpoint(endpoint).catch(() => undefined);
        const dir = path.join(servingRoot, endpoint);
        const variants = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        for (const variant of variants) await cleanup.undeployVariant(endpoint, variant).catch(() => undefined);
      }
      await gateway.close();
    },
  };
}
