/**
 * The kserve serving backend against a real Kubernetes API server (etcd + kube-apiserver started
 * for this file: test/support/kube-apiserver.ts) with the project's InferenceService and
 * ServingRuntime CRDs (infra/k8s/kserve/crds/). There is no KServe controller here: where KServe
 * would report an InferenceService ready or failed, `kserveControllerStandIn` writes that status
 * through the status subresource, as the controller does. The gateway is the in-memory
 * `FakeGatewayAdmin`; model folders are in the run's MinIO.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KServeServingBackend, type GatewayAdmin, type KServeServingDeps } from '../../activities/serving';
import { inferenceServiceName } from '../../activities/serving/kserve-names';
import type { InferenceService } from '../../activities/serving/kserve-api';
import { createBlobStore } from '../../activities/storage';
import { parseStoreUri } from '../../lib/config';
import { VariantFailedError, VariantNotFoundError, VariantNotReadyError } from '../../common/failures';
import { REPO_ROOT } from '../../lib/tools';
import { FakeGatewayAdmin } from '../support/fake-gateway-admin';
import { startKubeApiServer, type TestKubeApiServer } from '../support/kube-apiserver';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startFakeUpstream } from '../support/fake-upstream';
import { startGateway } from '../../gateway';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';

const KSERVE_DIR = path.join(REPO_ROOT, 'infra', 'k8s', 'kserve');
const ISVC_PATH = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

function manifests(file: string) {
  return parseAllDocuments(fs.readFileSync(path.join(KSERVE_DIR, file), 'utf8')).map((d) => d.toJS());
}

/**
 * Stand-in for KServe's controller, which is not running here: writes the status it would write
 * for an InferenceService that became ready (its URLs, Ready=True) or failed (Ready=False, a reason).
 */
const kserveControllerStandIn = {
  /** `address` is the predictor's cluster URL; a test that sends traffic points it at a local model server. */
  async ready(
    kube: TestKubeApiServer,
    name: string,
    address = `http://${name}-predictor.default.svc.cluster.local`,
  ): Promise<void> {
    await patchStatus(kube, name, {
      url: `http://${name}.default.example.com`,
      address: { url: address },
      conditions: [
        { type: 'PredictorReady', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      modelStatus: { transitionStatus: 'UpToDate', states: { activeModelState: 'Loaded', targetModelState: 'Loaded' } },
    });
  },
  async loading(kube: TestKubeApiServer, name: string): Promise<void> {
    await patchStatus(kube, name, {
      conditions: [{ type: 'Ready', status: 'False', reason: 'PredictorNotReady' }],
      modelStatus: { transitionStatus: 'InProgress', states: { targetModelState: 'Loading' } },
    });
  },
  async failed(kube: TestKubeApiServer, name: string): Promise<void> {
    await patchStatus(kube, name, {
      conditions: [
        { type: 'PredictorReady', status: 'False', reason: 'ModelLoadFailed', message: 'model.joblib: no such file' },
        { type: 'Ready', status: 'False', reason: 'ModelLoadFailed', message: 'model.joblib: no such file' },
      ],
      modelStatus: {
        transitionStatus: 'BlockedByFailedLoad',
        lastFailureInfo: { reason: 'ModelLoadFailed', message: 'model.joblib: no such file' },
      },
    });
  },
};

async function patchStatus(kube: TestKubeApiServer, name: string, status: object): Promise<void> {
  const res = await kube.request('PATCH', `${ISVC_PATH}/${name}/status`, { status }, 'application/merge-patch+json');
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function readIsvc(kube: TestKubeApiServer, name: string): Promise<InferenceService | undefined> {
  const res = await kube.request('GET', `${ISVC_PATH}/${name}`);
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as InferenceService;
}

describe('kserve serving backend (real Kubernetes API server)', function () {
  this.timeout(120_000);
  let kube: TestKubeApiServer;
  let store: ReturnType<typeof createBlobStore>;
  let storeUri: string;

  const teardown = suiteTeardown();

  before(async function () {
    kube = await teardown.start('the Kubernetes API server', startKubeApiServer, (k) => k.stop());
    const { endpoint, bucket, accessKeyId, secretAccessKey } = testStack().minio;
    const config = parseStoreUri(`s3://${bucket}/kserve-${Date.now()}`, process.cwd(), {
      endpoint,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
    });
    assert.ok(typeof config !== 'string');
    store = createBlobStore(config);
    teardown.add('the store client', () => (store as { destroy?: () => void }).destroy?.());
    storeUri = store.uri;
    // a model folder as a training job writes it: the model and its descriptor with the input columns
    await store.put('models/churn/versions/3/model/model.joblib', 'not read here: KServe fetches it');
    await store.put(
      'models/churn/versions/3/model/model.json',
      JSON.stringify({
        format: 'sklearn',
        file: 'model.joblib',
        inputs: [{ name: 'tenure' }, { name: 'monthly_charges' }],
      }),
    );
  });

  function backend(gateway: GatewayAdmin, extra: Partial<KServeServingDeps> = {}) {
    return new KServeServingBackend({
      gateway,
      kube: { kubeconfig: kube.kubeconfig },
      store,
      pollMs: 50,
      ...extra,
    });
  }

  const model = (version: number) => ({
    name: 'churn',
    version,
    artifactUri: `${storeUri}/models/churn/versions/${version}/model`,
  });

  it('accepts the project CRDs and its ServingRuntime', async function () {
    await kube.apply([...manifests('crds/inferenceservices.yaml'), ...manifests('crds/servingruntimes.yaml')]);
    await kube.apply(manifests('serving-runtime.yaml'));
    const res = await kube.request(
      'GET',
      '/apis/serving.kserve.io/v1alpha1/namespaces/default/servingruntimes/temporal-mlops-sklearn',
    );
    assert.equal(res.status, 200);
    const runtime = res.body as {
      spec: {
        supportedModelFormats: { name: string }[];
        containers: { image: string; command: string[]; args: string[] }[];
      };
    };
    const container = runtime.spec.containers[0]!;
    assert.deepEqual(
      runtime.spec.supportedModelFormats.map((f) => f.name),
      ['sklearn'],
    );
    assert.equal(container.image, 'temporal-mlops-worker');
    assert.deepEqual(container.command.slice(1), ['/app/activities/serving/model_server.py']);
    assert.ok(container.args.includes('--model_name={{.Name}}'));
    assert.ok(container.args.includes('--model_dir=/mnt/models'));
  });

  it('deploys a variant as an InferenceService of our runtime with the model URI from the store', async function () {
    const gateway = new FakeGatewayAdmin();
    const variant = await backend(gateway, { serviceAccount: 'models-reader' }).deployVariant('churn-prod', model(3));
    const name = inferenceServiceName('churn-prod', 'churn-v3');
    assert.equal(name, 'churn-prod-churn-v3');
    assert.deepEqual(
      { name: variant.name, attached: variant.attached, version: variant.version },
      { name: 'churn-v3', attached: false, version: 3 },
    );
    const isvc = await readIsvc(kube, name);
    assert.ok(isvc, 'the InferenceService exists');
    assert.deepEqual(isvc.spec.predictor.model, {
      modelFormat: { name: 'sklearn' },
      runtime: 'temporal-mlops-sklearn',
      protocolVersion: 'v2',
      storageUri: model(3).artifactUri,
    });
    assert.equal(isvc.spec.predictor.serviceAccountName, 'models-reader');
    assert.equal(isvc.metadata.labels?.['mlops.temporal.io/endpoint'], 'churn-prod');
    assert.equal(isvc.metadata.labels?.['mlops.temporal.io/model'], 'churn');
    assert.equal(isvc.metadata.labels?.['mlops.temporal.io/version'], '3');
    // not ready: no traffic can reach it yet
    assert.equal(gateway.endpoints.size, 0);
  });

  it('attaches to the InferenceService it finds on a retried deploy, and refuses one of another model', async function () {
    const gateway = new FakeGatewayAdmin();
    const again = await backend(gateway).deployVariant('churn-prod', model(3));
    assert.equal(again.attached, true);
    const list = await kube.request('GET', ISVC_PATH);
    assert.equal((list.body as { items: unknown[] }).items.length, 1, 'still one InferenceService');
    await assert.rejects(
      backend(gateway).deployVariant('churn-prod', { ...model(3), artifactUri: `${storeUri}/elsewhere` }),
      /model\.artifactUri: variant churn-v3 of churn-prod is deployed from .*versions\/3\/model, not/,
    );
  });

  it('waits for Ready from KServe, then routes the gateway to the InferenceService URL with its input columns', async function () {
    const gateway = new FakeGatewayAdmin();
    const serving = backend(gateway);
    const name = inferenceServiceName('churn-prod', 'churn-v3');
    await kserveControllerStandIn.loading(kube, name);
    let settled = false;
    const waiting = serving.waitReady('churn-prod', 'churn-v3', 30_000).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(settled, false, 'still waiting while the model loads');
    assert.equal(gateway.endpoints.size, 0);
    await kserveControllerStandIn.ready(kube, name);
    await waiting;
    const endpoint = await gateway.getEndpoint('churn-prod');
    assert.ok(endpoint);
    assert.deepEqual(endpoint.variants, [
      {
        name: 'churn-v3',
        upstream: `http://${name}-predictor.default.svc.cluster.local`,
        modelName: name,
        modelVersion: '3',
        inputs: ['tenure', 'monthly_charges'],
      },
    ]);
    assert.deepEqual(endpoint.weights, { 'churn-v3': 100 });
    const described = await serving.describe('churn-prod');
    assert.deepEqual(
      described.variants.map((v) => ({ name: v.name, version: v.version, weight: v.weight, ready: v.ready })),
      [{ name: 'churn-v3', version: 3, weight: 100, ready: true }],
    );
    assert.deepEqual(await serving.listEndpoints(), ['churn-prod']);
  });

  it('serves traffic through the real gateway to the URL KServe reports', async function () {
    // the model server KServe would run, answering OIP v2 on the predictor's address
    const upstream = await teardown.start(
      'a model server',
      () => startFakeUpstream(0.25),
      (u) => u.close(),
    );
    const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'kserve-gateway-'));
    const token = 'kserve-test-admin-token';
    const gateway = await teardown.start(
      'the gateway',
      () =>
        startGateway({
          stateFile: path.join(dir, 'state.json'),
          store,
          adminToken: token,
          port: 0,
          adminPort: 0,
          rateLimitPerSecond: 0,
          log: () => undefined,
        }),
      (g) => g.close(),
    );
    const serving = backend(new GatewayAdminClient({ adminUrl: gateway.adminUrl, token }));
    await serving.deployVariant('churn-live', model(3));
    const name = inferenceServiceName('churn-live', 'churn-v3');
    await kserveControllerStandIn.ready(kube, name, upstream.url);
    await serving.waitReady('churn-live', 'churn-v3', 10_000);
    const res = await fetch(`${gateway.url}/v2/models/churn-live/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'tenure', datatype: 'FP64', shape: [1], data: [12] }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(upstream.received.length, 1);
    assert.equal(
      upstream.received[0]!.model,
      name,
      'forwarded to the model the runtime serves: the InferenceService name',
    );
    const described = await serving.describe('churn-live');
    assert.deepEqual(
      described.variants.map((v) => ({ name: v.name, weight: v.weight, upstream: v.upstream, ready: v.ready })),
      [{ name: 'churn-v3', weight: 100, upstream: upstream.url, ready: true }],
    );
    await serving.setTraffic('churn-live', { 'churn-v3': 100 });
    await serving.undeployVariant('churn-live', 'churn-v3');
    assert.equal(await readIsvc(kube, name), undefined);
    assert.equal(
      await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token }).getEndpoint('churn-live'),
      undefined,
    );
  });

  it('fails a variant whose model KServe cannot load, with its reason', async function () {
    const gateway = new FakeGatewayAdmin();
    const serving = backend(gateway);
    await serving.deployVariant('churn-prod', model(4));
    const name = inferenceServiceName('churn-prod', 'churn-v4');
    await kserveControllerStandIn.failed(kube, name);
    const error = await serving.waitReady('churn-prod', 'churn-v4', 30_000).catch((e: unknown) => e);
    assert.ok(error instanceof VariantFailedError, String(error));
    assert.match(error.message, /ModelLoadFailed: model\.joblib: no such file/);
    assert.equal(gateway.endpoints.size, 0, 'a failed variant gets no traffic');
  });

  it('times out a variant that never becomes ready', async function () {
    const serving = backend(new FakeGatewayAdmin());
    await serving.deployVariant('churn-prod', model(5));
    await assert.rejects(serving.waitReady('churn-prod', 'churn-v5', 300), VariantNotReadyError);
  });

  it('undeploys: out of the gateway, InferenceService deleted; a second undeploy is a no-op', async function () {
    const gateway = new FakeGatewayAdmin();
    const serving = backend(gateway);
    await serving.waitReady('churn-prod', 'churn-v3', 10_000);
    await serving.undeployVariant('churn-prod', 'churn-v4');
    assert.equal(await readIsvc(kube, inferenceServiceName('churn-prod', 'churn-v4')), undefined);
    await serving.undeployVariant('churn-prod', 'churn-v3');
    assert.equal(await readIsvc(kube, inferenceServiceName('churn-prod', 'churn-v3')), undefined);
    assert.equal(gateway.endpoints.size, 0);
    await serving.undeployVariant('churn-prod', 'churn-v3');
    await assert.rejects(serving.waitReady('churn-prod', 'churn-v3', 1000), VariantNotFoundError);
  });

  it('refuses a model in a filesystem store, naming the field', async function () {
    await assert.rejects(
      backend(new FakeGatewayAdmin()).deployVariant('churn-prod', { ...model(6), artifactUri: 'file:///tmp/m' }),
      /model\.artifactUri: KServe cannot fetch "file:\/\/\/tmp\/m".*MLOPS_STORE/,
    );
  });

  it('reports an unreachable API naming the server and the setting, never the token', async function () {
    const dead = path.join(path.dirname(kube.kubeconfig), 'dead-kubeconfig');
    const config = JSON.parse(fs.readFileSync(kube.kubeconfig, 'utf8'));
    config.clusters[0].cluster.server = 'https://127.0.0.1:1';
    fs.writeFileSync(dead, JSON.stringify(config));
    const serving = backend(new FakeGatewayAdmin(), { kube: { kubeconfig: dead } });
    const error = await serving.deployVariant('churn-prod', model(3)).catch((e: unknown) => e as Error);
    assert.ok(error instanceof Error);
    assert.match(
      error.message,
      /Kubernetes API at https:\/\/127\.0\.0\.1:1 \(MLOPS_KUBECONFIG=.*dead-kubeconfig\) is unreachable/,
    );
    assert.ok(!error.message.includes(kube.token), 'no token in the message');
  });

  it('reports refused credentials naming the setting, never the token', async function () {
    const wrong = path.join(path.dirname(kube.kubeconfig), 'wrong-kubeconfig');
    const config = JSON.parse(fs.readFileSync(kube.kubeconfig, 'utf8'));
    config.users[0].user.token = 'not-the-admin-token-0123456789';
    fs.writeFileSync(wrong, JSON.stringify(config));
    const serving = backend(new FakeGatewayAdmin(), { kube: { kubeconfig: wrong } });
    const error = await serving.describe('churn-prod').then(
      () => assert.fail('describe succeeded with a wrong token'),
      (e: unknown) => e as Error,
    );
    assert.match(error.message, /refused the credentials of MLOPS_KUBECONFIG=.*wrong-kubeconfig \(HTTP 401/);
    assert.ok(!error.message.includes('not-the-admin-token'), 'no token in the message');
  });

  it('refuses a missing kubeconfig file naming the setting', async function () {
    const serving = backend(new FakeGatewayAdmin(), { kube: { kubeconfig: '/nonexistent/kubeconfig' } });
    await assert.rejects(
      serving.describe('churn-prod'),
      /^KubeSettingsError: MLOPS_KUBECONFIG: \/nonexistent\/kubeconfig is not a readable kubeconfig file$/,
    );
  });
});
