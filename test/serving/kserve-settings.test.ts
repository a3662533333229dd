/**
 * The kserve backend's settings and naming, without a cluster: what MLOPS_SERVING_BACKEND=kserve
 * needs (a Kubernetes API, a store KServe can read), how a missing kubeconfig stops the worker at
 * start, the InferenceService names and the statuses read as a failed variant.
 * test/serving/kserve-backend.test.ts runs the backend against a real API server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { KServeServingBackend, KubeSettingsError } from '../../activities/serving';
import { inferenceServiceName, terminalFailure } from '../../activities/serving/kserve-names';
import type { InferenceService } from '../../activities/serving/kserve-api';
import { validateConfig } from '../../lib/config';
import { createServing } from '../../worker/dependencies';
import { createBlobStore } from '../../activities/storage';
import { REPO_ROOT, requireTool } from '../../lib/tools';

const cwd = '/srv/project';
const s3 = { MLOPS_STORE: 's3://models-bucket/mlops', MLOPS_S3_ENDPOINT: 'http://127.0.0.1:9000' };
const gateway = {
  MLOPS_GATEWAY_URL: 'http://127.0.0.1:8180',
  MLOPS_GATEWAY_ADMIN_URL: 'http://127.0.0.1:8181',
  MLOPS_GATEWAY_TOKEN: 'admin-token-0123456789abcdef',
};

describe('kserve serving backend settings', () => {
  it('serves with the local backend unless told otherwise', () => {
    const result = validateConfig({}, cwd);
    assert.ok(result.ok);
    assert.equal(result.config.servingBackend, 'local');
    assert.equal(result.config.kserve, undefined);
  });

  it('reads the cluster settings, the kubeconfig relative to the working directory', () => {
    const result = validateConfig(
      {
        ...s3,
        MLOPS_SERVING_BACKEND: 'kserve',
        MLOPS_KUBECONFIG: 'cluster/kubeconfig',
        MLOPS_KSERVE_NAMESPACE: 'ml-serving',
        MLOPS_KSERVE_SERVICE_ACCOUNT: 'models-reader',
      },
      cwd,
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.config.kserve, {
      kubeconfig: '/srv/project/cluster/kubeconfig',
      kubeconfigSetting: 'MLOPS_KUBECONFIG',
      namespace: 'ml-serving',
      runtime: 'temporal-mlops-sklearn',
      serviceAccount: 'models-reader',
    });
  });

  it('falls back to KUBECONFIG, then to the pod service account', () => {
    const fromKubeconfig = validateConfig(
      { ...s3, MLOPS_SERVING_BACKEND: 'kserve', KUBECONFIG: '/home/me/.kube/config' },
      cwd,
    );
    assert.ok(fromKubeconfig.ok);
    assert.equal(fromKubeconfig.config.kserve?.kubeconfig, '/home/me/.kube/config');
    assert.equal(fromKubeconfig.config.kserve?.kubeconfigSetting, 'KUBECONFIG');
    const inPod = validateConfig({ ...s3, MLOPS_SERVING_BACKEND: 'kserve', KUBERNETES_SERVICE_HOST: '10.96.0.1' }, cwd);
    assert.ok(inPod.ok);
    assert.equal(inPod.config.kserve?.kubeconfig, undefined);
  });

  it('refuses kserve without a Kubernetes API, naming MLOPS_KUBECONFIG', () => {
    const result = validateConfig({ ...s3, MLOPS_SERVING_BACKEND: 'kserve' }, cwd);
    assert.equal(result.ok, false);
    assert.match(
      result.ok ? '' : result.issues.join('\n'),
      /^MLOPS_KUBECONFIG: the kserve serving backend needs a Kubernetes API/,
    );
  });

  it('refuses kserve over a filesystem store, which KServe cannot download from', () => {
    const result = validateConfig({ MLOPS_SERVING_BACKEND: 'kserve', MLOPS_KUBECONFIG: '/k' }, cwd);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.issues.join('\n'), /^MLOPS_SERVING_BACKEND: .*set MLOPS_STORE to s3:\/\//);
  });

  it('refuses an unknown backend and a namespace Kubernetes would not take, naming the setting', () => {
    const unknown = validateConfig({ MLOPS_SERVING_BACKEND: 'seldon' }, cwd);
    assert.deepEqual(unknown.ok ? [] : unknown.issues, ['MLOPS_SERVING_BACKEND: must be local or kserve']);
    const namespace = validateConfig(
      { ...s3, MLOPS_SERVING_BACKEND: 'kserve', MLOPS_KUBECONFIG: '/k', MLOPS_KSERVE_NAMESPACE: 'ML_Serving' },
      cwd,
    );
    assert.match(
      namespace.ok ? '' : namespace.issues.join('\n'),
      /^MLOPS_KSERVE_NAMESPACE: must be a Kubernetes namespace name/,
    );
  });

  it('gives the worker the kserve backend when the settings name one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kserve-settings-'));
    try {
      const kubeconfig = path.join(dir, 'kubeconfig');
      fs.writeFileSync(kubeconfig, '{}');
      const result = validateConfig(
        { ...s3, ...gateway, MLOPS_SERVING_BACKEND: 'kserve', MLOPS_KUBECONFIG: kubeconfig },
        cwd,
      );
      assert.ok(result.ok);
      assert.ok(createServing(result.config, createBlobStore(result.config.store)) instanceof KServeServingBackend);
      const local = validateConfig({ ...s3, ...gateway }, cwd);
      assert.ok(local.ok);
      assert.ok(!(createServing(local.config, createBlobStore(local.config.store)) instanceof KServeServingBackend));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the worker at start when the kubeconfig file is missing, naming the setting and not the gateway token', () => {
    const result = validateConfig(
      { ...s3, ...gateway, MLOPS_SERVING_BACKEND: 'kserve', MLOPS_KUBECONFIG: '/nonexistent/kubeconfig' },
      cwd,
    );
    assert.ok(result.ok);
    const store = createBlobStore(result.config.store);
    assert.throws(
      () => createServing(result.config, store),
      (error: unknown) =>
        error instanceof KubeSettingsError &&
        error.message === 'MLOPS_KUBECONFIG: /nonexistent/kubeconfig is not a readable kubeconfig file' &&
        !error.message.includes(gateway.MLOPS_GATEWAY_TOKEN),
    );
  });
});

describe('InferenceService names and statuses', () => {
  const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

  it('names an InferenceService for its endpoint and variant, DNS-1035 safe and short enough for KServe', () => {
    assert.equal(inferenceServiceName('churn-prod', 'churn-v3'), 'churn-prod-churn-v3');
    for (const [endpoint, variant] of [
      ['9ball', 'm.x-v1'],
      ['churn_prod', 'churn-v12'],
      ['e'.repeat(63), 'churn-v12'],
      ['a-', 'b.-v1'],
    ] as const) {
      const name = inferenceServiceName(endpoint, variant);
      assert.match(name, dns1035, name);
      assert.ok(name.length <= 45, name);
    }
  });

  it('keeps names apart that differ only in characters a name cannot hold', () => {
    assert.notEqual(inferenceServiceName('9ball', 'm.x-v1'), inferenceServiceName('9ball', 'm-x-v1'));
    assert.notEqual(inferenceServiceName('churn_prod', 'churn-v1'), inferenceServiceName('churn-prod', 'churn-v1'));
  });

  const isvc = (status: InferenceService['status']): InferenceService => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'x' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' } } } },
    status,
  });

  it('reads a failed model load or a missing runtime as a failed variant, with the reason', () => {
    assert.equal(
      terminalFailure(
        isvc({
          conditions: [
            { type: 'Ready', status: 'False', reason: 'NoSupportingRuntime', message: 'no runtime for sklearn' },
          ],
        }),
      ),
      'Ready is False (NoSupportingRuntime: no runtime for sklearn)',
    );
    assert.equal(
      terminalFailure(
        isvc({
          modelStatus: {
            transitionStatus: 'BlockedByFailedLoad',
            lastFailureInfo: { reason: 'ModelLoadFailed', message: 'bad pickle' },
          },
        }),
      ),
      'model BlockedByFailedLoad: ModelLoadFailed: bad pickle',
    );
  });

  it('does not read a variant that is still coming up as failed', () => {
    assert.equal(terminalFailure(isvc(undefined)), undefined);
    assert.equal(
      terminalFailure(isvc({ conditions: [{ type: 'Ready', status: 'False', reason: 'PredictorNotReady' }] })),
      undefined,
    );
    assert.equal(terminalFailure(isvc({ conditions: [{ type: 'Ready', status: 'Unknown' }] })), undefined);
  });
});

describe('infra/k8s/kserve', () => {
  it("renders the ServingRuntime and the serving worker's right to manage InferenceServices, and no CRDs", async () => {
    const { stdout } = await promisify(execFile)(requireTool('kustomize'), [
      'build',
      path.join(REPO_ROOT, 'infra', 'k8s', 'kserve'),
    ]);
    const objects = parseAllDocuments(stdout).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { name: string };
          rules?: unknown;
          subjects?: unknown;
          spec?: { protocolVersions?: string[] };
        },
    );
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'Role/mlops-kserve-variants',
      'RoleBinding/mlops-kserve-variants',
      'ServingRuntime/temporal-mlops-sklearn',
    ]);
    const role = objects.find((o) => o.kind === 'Role')!;
    assert.deepEqual(role.rules, [
      {
        apiGroups: ['serving.kserve.io'],
        resources: ['inferenceservices'],
        verbs: ['get', 'list', 'watch', 'create', 'delete'],
      },
    ]);
    const binding = objects.find((o) => o.kind === 'RoleBinding')!;
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'mlops-worker' }]);
    const runtime = objects.find((o) => o.kind === 'ServingRuntime')!;
    assert.equal(runtime.metadata.name, 'temporal-mlops-sklearn', 'the default of MLOPS_KSERVE_RUNTIME');
    assert.deepEqual(runtime.spec?.protocolVersions, ['v2']);
  });
});
