import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidServingArgumentError, VariantFailedError, VariantNotFoundError } from '../../common/failures';
import { toInferenceRequest, type InferenceResponse } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import type { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { trainChurnModel, type TrainedChurnModel } from '../support/churn-model';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTestServing, type TestServing } from '../support/serving';
import { testS3Store } from '../support/worker';
import { REPO_ROOT } from '../../lib/tools';

const ENDPOINT = 'churn';
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const execFileAsync = promisify(execFile);

/** Pids of live model servers (`python model_server.py --model_dir=<dir>/model …`; zombies excluded). */
function modelServerPids(dir: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0];
      const serving = argv.some((a) => a.endsWith('model_server.py')) && argv.includes(`--model_dir=${dir}/model`);
      if (state !== 'Z' && serving) {
        pids.push(Number(name));
      }
    } catch {
      // the process exited while being read
    }
  }
  return pids;
}

/** Whether `pid` exists and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function inferDirect(upstream: string, model: string, body: unknown): Promise<InferenceResponse> {
  const res = await fetch(`${upstream}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as InferenceResponse;
}

/**
 * Trains a scikit-learn tree on numpy columns `columns` (so it takes them by position, knowing no
 * names) whose class is the sign of the first, and uploads it with a descriptor listing `columns`
 * as its inputs: `model.json`, or (`legacy`) only the `model-settings.json` older versions wrote;
 * returns its store URI.
 */
async function trainPositionalModel(
  store: BlobStore,
  prefix: string,
  columns: string[],
  descriptor: 'model.json' | 'legacy' = 'model.json',
): Promise<string> {
  const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'positional-'));
  const script = [
    'import json, sys, joblib, numpy as np',
    'from sklearn.tree import DecisionTreeClassifier',
    'out, columns = sys.argv[1], json.loads(sys.argv[2])',
    'X = np.array([[1.0, -1.0], [2.0, -2.0], [-1.0, 1.0], [-2.0, 2.0]])',
    'joblib.dump(DecisionTreeClassifier().fit(X, (X[:, 0] > 0).astype(int)), f"{out}/model.joblib")',
    'inputs = [{"name": c, "datatype": "FP64", "shape": [-1]} for c in columns]',
    'if sys.argv[3] == "legacy":',
    '    settings = {"name": "m", "parameters": {"uri": "./model.joblib"}, "inputs": inputs}',
    '    json.dump(settings, open(f"{out}/model-settings.json", "w"))',
    'else:',
    '    descriptor = {"format": "sklearn", "file": "model.joblib", "inputs": inputs}',
    '    json.dump(descriptor, open(f"{out}/model.json", "w"))',
  ].join('\n');
  await execFileAsync(PYTHON, ['-c', script, dir, JSON.stringify(columns), descriptor]);
  for (const name of fs.readdirSync(dir)) await store.put(`${prefix}/${name}`, fs.readFileSync(path.join(dir, name)));
  return `${store.uri}/${prefix}`;
}

describe('local serving backend (real model servers behind the real gateway)', function () {
  this.timeout(120_000);
  let store: BlobStore;
  let home: string;
  let servingRoot: string;
  let serving: TestServing;
  let admin: GatewayAdminClient;
  let backend: ReturnType<TestServing['backend']>;
  let model: TrainedChurnModel;
  let v1Dir: string;
  const newBackend = () => serving.backend();
  const teardown = suiteTeardown();

  before(async function () {
    const { tmpDir } = testStack();
    home = fs.mkdtempSync(path.join(tmpDir, 'serving-home-'));
    servingRoot = path.join(home, 'serving');
    v1Dir = path.join(servingRoot, ENDPOINT, 'churn-v1');
    // last: whatever a failed test left running
    teardown.add('the model servers left running', () => {
      for (const pid of modelServerPids(v1Dir)) process.kill(-pid, 'SIGKILL');
    });
    store = testS3Store();
    model = await trainChurnModel(
      store,
      'models/churn/versions/1/artifact',
      fs.mkdtempSync(path.join(tmpDir, 'churn-')),
    );
    serving = await teardown.start(
      'the gateway',
      () => startTestServing(store, home),
      (s) => s.stop(),
    );
    admin = serving.admin;
    backend = newBackend();
  });

  it('deploys a version as variant <model>-v<version>, ready and registered at weight 100 as the first', async () => {
    const variant = await backend.deployVariant(ENDPOINT, {
      name: 'churn',
      version: 1,
      artifactUri: model.artifactUri,
    });
    assert.equal(variant.name, 'churn-v1');
    assert.equal(variant.attached, false);
    assert.match(variant.upstream, /^http:\/\/127\.0\.0\.1:\d+$/);
    await backend.waitReady(ENDPOINT, 'churn-v1', 60_000);
    const state = await admin.getEndpoint(ENDPOINT);
    assert.deepEqual(state?.weights, { 'churn-v1': 100 });
    const descriptor = JSON.parse(fs.readFileSync(path.join(v1Dir, 'model', 'model.json'), 'utf8'));
    assert.equal(descriptor.format, 'sklearn');
    // the model's input columns, as its training job recorded them, go to the gateway with the variant
    const inputs = (descriptor.inputs as { name: string }[]).map((i) => i.name);
    assert.ok(inputs.length > 0, JSON.stringify(descriptor));
    assert.deepEqual(state?.variants, [
      { name: 'churn-v1', upstream: variant.upstream, modelName: 'churn-v1', modelVersion: '1', inputs },
    ]);
  });

  it('serves predictions for rows of churn features (one input per column, content_type pd)', async () => {
    const { upstream } = await backend.deployVariant(ENDPOINT, {
      name: 'churn',
      version: 1,
      artifactUri: model.artifactUri,
    });
    const response = await inferDirect(
      upstream,
      'churn-v1',
      toInferenceRequest(model.rows, ['predict', 'predict_proba']),
    );
    const byName = Object.fromEntries(response.outputs.map((o) => [o.name, o]));
    assert.equal(byName.predict?.data.length, model.rows.length);
    assert.ok(byName.predict?.data.every((p) => p === 0 || p === 1));
    assert.deepEqual(byName.predict?.shape, [model.rows.length, 1]);
    assert.deepEqual(byName.predict_proba?.shape, [model.rows.length, 2]);
  });

  it('a second deploy of the same version attaches to the running server (one process)', async () => {
    const before = modelServerPids(v1Dir);
    assert.equal(before.length, 1);
    const again = await backend.deployVariant(ENDPOINT, { name: 'churn', version: 1, artifactUri: model.artifactUri });
    assert.equal(again.attached, true);
    assert.deepEqual(modelServerPids(v1Dir), before);
  });

  it('a restarted worker (a new backend over the same folder) re-attaches to the running model server', async () => {
    const restarted = newBackend();
    const pids = modelServerPids(v1Dir);
    const variant = await restarted.deployVariant(ENDPOINT, {
      name: 'churn',
      version: 1,
      artifactUri: model.artifactUri,
    });
    assert.equal(variant.attached, true);
    await restarted.waitReady(ENDPOINT, 'churn-v1', 10_000);
    assert.deepEqual(modelServerPids(v1Dir), pids);
    const described = await restarted.describe(ENDPOINT);
    assert.deepEqual(
      described.variants.map((v) => [v.name, v.model, v.version, v.weight, v.ready]),
      [['churn-v1', 'churn', 1, 100, true]],
    );
  });

  it('starts a variant again when its server has died (e.g. the host rebooted)', async () => {
    const [pid] = modelServerPids(v1Dir);
    process.kill(-pid!, 'SIGKILL');
    // gone means reaped or a zombie: a dying process has an empty cmdline before its state says so
    for (let i = 0; i < 100 && isAlive(pid!); i++) await new Promise((r) => setTimeout(r, 50));
    const variant = await backend.deployVariant(ENDPOINT, {
      name: 'churn',
      version: 1,
      artifactUri: model.artifactUri,
    });
    assert.equal(variant.attached, false);
    await backend.waitReady(ENDPOINT, 'churn-v1', 60_000);
    assert.equal(modelServerPids(v1Dir).length, 1);
    const state = await admin.getEndpoint(ENDPOINT);
    assert.equal(state?.variants[0]?.upstream, variant.upstream, 'the gateway follows the new port');
    assert.deepEqual(state?.weights, { 'churn-v1': 100 });
  });

  it('reports a model that will not load as VariantFailed with the server log, and registers nothing', async () => {
    await store.put('models/broken/versions/1/artifact/model.joblib', 'not a model');
    const artifactUri = `${store.uri}/models/broken/versions/1/artifact`;
    await backend.deployVariant('broken', { name: 'broken', version: 1, artifactUri });
    await assert.rejects(
      backend.waitReady('broken', 'broken-v1', 60_000),
      (e: unknown) => e instanceof VariantFailedError && /last log lines/.test(e.message),
    );
    assert.equal(await admin.getEndpoint('broken'), undefined);
    await backend.undeployVariant('broken', 'broken-v1');
    assert.equal(fs.existsSync(path.join(servingRoot, 'broken')), false);
  });

  it('refuses a deploy of the same version from another artifact, naming model.artifactUri', async () => {
    await assert.rejects(
      backend.deployVariant(ENDPOINT, {
        name: 'churn',
        version: 1,
        artifactUri: `${store.uri}/models/churn/versions/9/x`,
      }),
      (e: unknown) => e instanceof InvalidServingArgumentError && /^model\.artifactUri: /.test(e.message),
    );
    await assert.rejects(
      backend.deployVariant(ENDPOINT, { name: 'churn', version: 3, artifactUri: 's3://elsewhere/models/x' }),
      (e: unknown) => e instanceof InvalidServingArgumentError && /^model\.artifactUri: /.test(e.message),
    );
  });

  it('validates traffic weights: integers summing to 100 over deployed variants', async () => {
    const bad: [Record<string, number>, RegExp][] = [
      [{ 'churn-v1': 50 }, /^weights: must sum to 100/],
      [{ 'churn-v1': 100, x: 0 }, /^weights\.x: no such deployed variant/],
      [{ 'churn-v1': 100.5 }, /^weights\.churn-v1: must be an integer/],
    ];
    for (const [weights, message] of bad) {
      await assert.rejects(
        backend.setTraffic(ENDPOINT, weights),
        (e: unknown) => e instanceof InvalidServingArgumentError && message.test(e.message),
      );
    }
    await assert.rejects(backend.readMetrics(ENDPOINT, 'churn-v7', 60), VariantNotFoundError);
  });

  it('routes through the gateway: `mlops predict` returns predictions, `endpoints show --json` the version at 100', async () => {
    const env = cliEnv('serving', {
      MLOPS_HOME: home,
      ...serving.env,
    });
    const dataFile = path.join(home, 'rows.json');
    fs.writeFileSync(dataFile, JSON.stringify(model.rows));
    const predicted = await runCli(['--json', 'predict', ENDPOINT, '--data', dataFile], env);
    assert.equal(predicted.code, 0, predicted.stderr);
    const result = JSON.parse(predicted.stdout) as { model: string; predictions: Record<string, unknown[]> };
    assert.equal(result.model, 'churn-v1');
    assert.equal(result.predictions.predict?.length, model.rows.length);

    const shown = await runCli(['--json', 'endpoints', 'show', ENDPOINT], env);
    assert.equal(shown.code, 0, shown.stderr);
    const endpoint = JSON.parse(shown.stdout) as {
      variants: { name: string; version: number; weight: number; ready: boolean; metrics?: { requests: number } }[];
    };
    assert.deepEqual(
      endpoint.variants.map((v) => [v.name, v.version, v.weight, v.ready]),
      [['churn-v1', 1, 100, true]],
    );
    assert.ok((endpoint.variants[0]?.metrics?.requests ?? 0) >= 1);

    const listed = await runCli(['endpoints', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /churn\s+churn-v1 100%/);

    const bad = await runCli(['predict', ENDPOINT, '--data', path.join(home, 'missing.json')], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--data: cannot read/);
  });

  it('serves a model trained with another column order its own order, through the gateway', async () => {
    // a model that takes its columns by position, trained on (b, a): its class is the sign of b
    const artifactUri = await trainPositionalModel(store, 'models/ordered/versions/1/artifact', ['b', 'a']);
    await backend.deployVariant('ordered', { name: 'ordered', version: 1, artifactUri });
    await backend.waitReady('ordered', 'ordered-v1', 60_000);
    assert.deepEqual((await admin.getEndpoint('ordered'))?.variants[0]?.inputs, ['b', 'a']);
    // rows in another order, with an id the model does not take
    const rows = [
      { id: 'x', a: 1, b: -1 },
      { id: 'y', a: -1, b: 1 },
    ];
    const res = await fetch(`${serving.gateway.url}/v2/models/ordered/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toInferenceRequest(rows)),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const response = (await res.json()) as InferenceResponse;
    assert.deepEqual(response.outputs[0]?.data, [0, 1], 'b, then a, as the model was trained');
    await backend.undeployVariant('ordered', 'ordered-v1');
  });

  it('deploys a model folder registered before the descriptor (only model-settings.json), its inputs from there', async () => {
    const artifactUri = await trainPositionalModel(store, 'models/legacy/versions/1/artifact', ['b', 'a'], 'legacy');
    await backend.deployVariant('legacy', { name: 'legacy', version: 1, artifactUri });
    await backend.waitReady('legacy', 'legacy-v1', 60_000);
    assert.deepEqual((await admin.getEndpoint('legacy'))?.variants[0]?.inputs, ['b', 'a']);
    const res = await fetch(`${serving.gateway.url}/v2/models/legacy/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toInferenceRequest([{ a: -1, b: 2 }], ['predict', 'predict_proba'])),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const byName = Object.fromEntries(((await res.json()) as InferenceResponse).outputs.map((o) => [o.name, o]));
    assert.deepEqual(byName.predict?.data, [1], 'b is the first column, as model-settings.json lists it');
    assert.deepEqual(byName.predict_proba?.data, [0, 1]);
    await backend.undeployVariant('legacy', 'legacy-v1');
  });

  it('refuses a model folder with an invalid model.json at deploy, naming model.artifactUri and the field, leaving nothing', async () => {
    await store.put('models/odd/versions/1/artifact/model.joblib', 'x');
    await store.put(
      'models/odd/versions/1/artifact/model.json',
      JSON.stringify({ format: 'onnx', file: 'model.joblib' }),
    );
    await assert.rejects(
      backend.deployVariant('odd', {
        name: 'odd',
        version: 1,
        artifactUri: `${store.uri}/models/odd/versions/1/artifact`,
      }),
      (e: unknown) =>
        e instanceof InvalidServingArgumentError && /^model\.artifactUri: model\.json: format: /.test(e.message),
    );
    await store.put(
      'models/odd/versions/2/artifact/model.json',
      JSON.stringify({ format: 'sklearn', file: 'm.joblib' }),
    );
    await assert.rejects(
      backend.deployVariant('odd', {
        name: 'odd',
        version: 2,
        artifactUri: `${store.uri}/models/odd/versions/2/artifact`,
      }),
      (e: unknown) => e instanceof InvalidServingArgumentError && /has no m\.joblib/.test(e.message),
    );
    assert.equal(fs.existsSync(path.join(servingRoot, 'odd')), false);
    assert.equal(await admin.getEndpoint('odd'), undefined);
  });

  it('binds a model server where MLOPS_MODEL_SERVER_HOST says and registers it at the advertised host', async () => {
    const cluster = serving.backend({ bindHost: '0.0.0.0', advertiseHost: 'localhost' });
    const artifactUri = await trainPositionalModel(store, 'models/wide/versions/1/artifact', ['a', 'b']);
    const variant = await cluster.deployVariant('wide', { name: 'wide', version: 1, artifactUri });
    assert.match(variant.upstream, /^http:\/\/localhost:\d+$/);
    await cluster.waitReady('wide', 'wide-v1', 60_000);
    assert.equal((await admin.getEndpoint('wide'))?.variants[0]?.upstream, variant.upstream);
    const port = Number(new URL(variant.upstream).port);
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[3] === '0A' && cols[1]?.endsWith(`:${hexPort}`))
      .map((cols) => cols[1]);
    assert.deepEqual(listening, [`00000000:${hexPort}`], 'bound to every address');
    const res = await fetch(`${serving.gateway.url}/v2/models/wide/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toInferenceRequest([{ a: 1, b: -1 }])),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await cluster.undeployVariant('wide', 'wide-v1');
  });

  it('adds a second version at weight 0, shifts traffic, and refuses to undeploy a variant that takes traffic', async () => {
    const v2 = await backend.deployVariant(ENDPOINT, { name: 'churn', version: 2, artifactUri: model.artifactUri });
    await backend.waitReady(ENDPOINT, v2.name, 60_000);
    assert.deepEqual((await admin.getEndpoint(ENDPOINT))?.weights, { 'churn-v1': 100, 'churn-v2': 0 });
    const split = await backend.setTraffic(ENDPOINT, { 'churn-v1': 90, 'churn-v2': 10 });
    assert.deepEqual(
      split.variants.map((v) => [v.name, v.weight]),
      [
        ['churn-v1', 90],
        ['churn-v2', 10],
      ],
    );
    await assert.rejects(
      backend.undeployVariant(ENDPOINT, 'churn-v2'),
      (e: unknown) => e instanceof InvalidServingArgumentError && /still takes 10%/.test(e.message),
    );
    await backend.setTraffic(ENDPOINT, { 'churn-v2': 100 });
    const metrics = await backend.readMetrics(ENDPOINT, 'churn-v1', 60);
    assert.ok(metrics.requests >= 1, 'the CLI request above was counted');
  });

  it('undeploy stops the model server, removes it from the gateway, and is idempotent', async () => {
    const v1Pids = modelServerPids(v1Dir);
    assert.equal(v1Pids.length, 1);
    await backend.undeployVariant(ENDPOINT, 'churn-v1');
    assert.deepEqual(modelServerPids(v1Dir), []);
    assert.equal(fs.existsSync(v1Dir), false);
    assert.deepEqual((await admin.getEndpoint(ENDPOINT))?.weights, { 'churn-v2': 100 });
    await backend.undeployVariant(ENDPOINT, 'churn-v1');

    const v2Dir = path.join(servingRoot, ENDPOINT, 'churn-v2');
    await backend.undeployVariant(ENDPOINT, 'churn-v2');
    assert.deepEqual(modelServerPids(v2Dir), []);
    assert.equal(await admin.getEndpoint(ENDPOINT), undefined, 'the last variant takes the endpoint with it');
    assert.deepEqual(await backend.listEndpoints(), []);
  });
});
