/**
 * Test harness of the gateway suites: an in-process gateway on free loopback ports, a store on
 * the test MinIO, and two fake upstreams (`blue` predicts 0.25, `green` 0.75) behind endpoint
 * `churn` at 80/20.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BlobStore } from '../../activities/storage/types';
import { startGateway, type CaptureSettings, type RunningGateway } from '../../gateway';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { testStack } from '../support/stack';
import { testS3Store } from '../support/worker';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream';
import { Teardown } from '../support/teardown';

export const TOKEN = 'test-admin-token-of-the-gateway-suites';

/** Headers that pin a request to `variant`: the header and a credential (here the admin token). */
export function pinned(variant: string, token = TOKEN): Record<string, string> {
  return { 'x-mlops-variant': variant, authorization: `Bearer ${token}` };
}

export interface Harness {
  gateway: RunningGateway;
  admin: GatewayAdminClient;
  store: BlobStore;
  blue: FakeUpstream;
  green: FakeUpstream;
  stateFile: string;
  /** POSTs `body` (an object is sent as JSON, a string as is) to `/v2/models/<endpoint>/infer`. */
  infer(endpoint: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POSTs labels to `/v2/models/<endpoint>/feedback` with `token` (default: the endpoint's feedback token; null: none). */
  feedback(endpoint: string, body: unknown, token?: string | null): Promise<Response>;
  /** Sends one request to `endpoint` and returns the request id the gateway answered with. */
  issuedId(endpoint: string, id?: string): Promise<string>;
  /** Sets endpoint `churn` to blue and green with these weights. */
  putChurn(
    weights: Record<string, number>,
    capture?: Partial<CaptureSettings>,
  ): ReturnType<GatewayAdminClient['putEndpoint']>;
  close(): Promise<void>;
}

/** An OIP v2 request of `rows` rows of two FP64 features (0, 1, 2, …). */
export function inferBody(rows = 1, id?: string) {
  return {
    ...(id ? { id } : {}),
    inputs: [{ name: 'x', shape: [rows, 2], datatype: 'FP64', data: Array.from({ length: rows * 2 }, (_, i) => i) }],
  };
}

/** Every record of every NDJSON object under `prefix`, checking the object names on the way. */
export async function readNdjson(store: BlobStore, prefix: string): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for await (const info of store.list(prefix)) {
    assert.match(info.key, /\/\d{4}-\d{2}-\d{2}\/\d{2}\/\d{9}-[0-9a-f]{8}\.ndjson$/);
    const text = (await store.getBytes(info.key)).toString('utf8');
    for (const line of text.split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
  }
  return records;
}

/** Starts the gateway and its two upstreams; if one fails to start, stops those that did. */
export async function startHarness(): Promise<Harness> {
  const pieces = new Teardown();
  return pieces.stopOnError(async () => {
    const blue = await pieces.start(
      'the blue upstream',
      () => startFakeUpstream(0.25),
      (u) => u.close(),
    );
    const green = await pieces.start(
      'the green upstream',
      () => startFakeUpstream(0.75),
      (u) => u.close(),
    );
    const store = testS3Store();
    const stateFile = path.join(fs.mkdtempSync(path.join(testStack().tmpDir, 'gateway-')), 'state.json');
    const gateway = await pieces.start(
      'the gateway',
      () =>
        startGateway({
          stateFile,
          store,
          adminToken: TOKEN,
          port: 0,
          adminPort: 0,
          maxBodyBytes: 64 * 1024,
          upstreamTimeoutMs: 1000,
          // these suites send bursts from one address; test/security/gateway-dos.test.ts tests the limit
          rateLimitPerSecond: 0,
          log: () => undefined,
        }),
      (g) => g.close(),
    );
    const admin = new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: TOKEN });
    const harness: Harness = {
      gateway,
      admin,
      store,
      blue,
      green,
      stateFile,
      infer: (endpoint, body, headers = {}) =>
        fetch(`${gateway.url}/v2/models/${endpoint}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      feedback: async (endpoint, body, token) => {
        const bearer = token === undefined ? await admin.feedbackToken(endpoint) : token;
        return fetch(`${gateway.url}/v2/models/${endpoint}/feedback`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      },
      issuedId: async (endpoint, id) => {
        const res = await harness.infer(endpoint, inferBody(1, id));
        await res.arrayBuffer();
        assert.equal(res.status, 200);
        return res.headers.get('x-request-id')!;
      },
      putChurn: (weights, capture = { sampleRate: 1, maxBatch: 1000, flushSeconds: 1 }) =>
        admin.putEndpoint('churn', {
          variants: [
            { name: 'blue', upstream: blue.url, modelName: 'churn', modelVersion: '1' },
            { name: 'green', upstream: green.url, modelName: 'churn', modelVersion: '2' },
          ],
          weights,
          capture,
        }),
      // the gateway first, then the upstreams
      close: () => pieces.stopAll(),
    };
    await harness.putChurn({ blue: 80, green: 20 });
    return harness;
  });
}
