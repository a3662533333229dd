import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createServingActivities,
  LocalServingBackend,
  validateWeights,
  type EndpointDescription,
} from '../../activities/serving';
import { InvalidServingArgumentError } from '../../common/failures';
import { predictionsByOutput, toInferenceRequest } from '../../activities/serving/inference-request';
import { createBlobStore } from '../../activities/storage';
import { loadConfig, validateConfig, writeStackFile } from '../../lib/config';
import { FakeGatewayAdmin } from '../support/fake-gateway-admin';
import { modelInputs, readModelDescriptor } from '../../activities/serving/model-server';

const cwd = '/srv/project';

describe('traffic weights', () => {
  it('completes the split with 0 for deployed variants not named', () => {
    assert.deepEqual(validateWeights({ a: 100 }, ['a', 'b']), { a: 100, b: 0 });
  });

  it('refuses splits that do not sum to 100, fractions, negatives and unknown variants, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ a: 60, b: 30 }, /^weights: must sum to 100 \(they sum to 90\)/],
      [{ a: 50.5, b: 49.5 }, /^weights\.a: must be an integer/],
      [{ a: 110, b: -10 }, /^weights\.a: must be an integer from 0 to 100/],
      [{ c: 100 }, /^weights\.c: no such deployed variant \(deployed: a, b\)/],
      [[100], /^weights: must be an object/],
    ];
    for (const [weights, message] of cases) {
      assert.throws(
        () => validateWeights(weights, ['a', 'b']),
        (e: unknown) => e instanceof InvalidServingArgumentError && message.test(e.message),
      );
    }
  });
});

describe('inference requests from rows or columns', () => {
  const row = {
    customer_id: 'C1',
    contract: 'monthly',
    plan: 'basic',
    region: 'east',
    tenure_months: 2,
    monthly_charges: 32.97,
    total_charges: 66.06,
    support_calls: 3,
    churned: 1,
  };

  it('sends every column in the order of the rows, one pandas column each, for the gateway to fit to the model', () => {
    const request = toInferenceRequest([row, { ...row, monthly_charges: 30 }]);
    assert.deepEqual(request.parameters, { content_type: 'pd' });
    assert.deepEqual(
      request.inputs.map((i) => (i as { name: string }).name),
      Object.keys(row),
    );
    assert.deepEqual(request.inputs[0], { name: 'customer_id', shape: [2], datatype: 'BYTES', data: ['C1', 'C1'] });
    assert.deepEqual(request.inputs[5], {
      name: 'monthly_charges',
      shape: [2],
      datatype: 'FP64',
      data: [32.97, 30],
    });
    assert.deepEqual(request.inputs[4], { name: 'tenure_months', shape: [2], datatype: 'INT64', data: [2, 2] });
    assert.deepEqual(request.inputs[2], { name: 'plan', shape: [2], datatype: 'BYTES', data: ['basic', 'basic'] });
  });

  it('takes an object of columns, in its order, and asks for named outputs', () => {
    const request = toInferenceRequest({ b: [1, 2], a: [true, false] }, ['predict_proba']);
    assert.deepEqual(request.inputs, [
      { name: 'b', shape: [2], datatype: 'INT64', data: [1, 2] },
      { name: 'a', shape: [2], datatype: 'BOOL', data: [true, false] },
    ]);
    assert.deepEqual(request.outputs, [{ name: 'predict_proba' }]);
  });

  it('passes a v2 request through unchanged', () => {
    const body = { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] };
    assert.deepEqual(toInferenceRequest(body), body);
  });

  it('names the field of malformed data', () => {
    const cases: [unknown, RegExp][] = [
      ['text', /^data: expected a v2 request/],
      [[], /^data: has no columns/],
      [[{ a: 1 }, {}], /^data\[1\]\.a: missing/],
      [{ a: [1, 'x'] }, /^data\.a: mixes numbers, strings and booleans/],
      [{ a: [1, null] }, /^data\.a\[1\]: must be a number, string or boolean/],
      [{ a: [1], b: [1, 2] }, /^data\.b: has 2 values, other columns 1/],
      [{ inputs: [] }, /^data\.inputs: must be a non-empty array/],
    ];
    for (const [body, message] of cases) {
      assert.throws(
        () => toInferenceRequest(body),
        (e: unknown) => e instanceof InvalidServingArgumentError && message.test(e.message),
        String(message),
      );
    }
  });

  it('cuts each output into one prediction per row', () => {
    const predictions = predictionsByOutput({
      model_name: 'churn-v1',
      outputs: [
        { name: 'predict', shape: [2, 1], datatype: 'INT64', data: [1, 0] },
        { name: 'predict_proba', shape: [2, 2], datatype: 'FP64', data: [0.4, 0.6, 0.7, 0.3] },
      ],
    });
    assert.deepEqual(predictions, {
      predict: [1, 0],
      predict_proba: [
        [0.4, 0.6],
        [0.7, 0.3],
      ],
    });
  });
});

describe('model descriptors of model folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-descriptor-'));
    fs.writeFileSync(path.join(dir, 'model.joblib'), 'x');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) =>
    fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  const refused = (pattern: RegExp) => (e: unknown) =>
    e instanceof InvalidServingArgumentError && e.field === 'model.artifactUri' && pattern.test(e.message);

  it('reads model.json: the format, the file and the input columns in order', () => {
    write('model.json', {
      format: 'sklearn',
      file: 'model.joblib',
      inputs: [{ name: 'b' }, { name: 'a', datatype: 'FP64' }],
    });
    const descriptor = readModelDescriptor(dir);
    assert.equal(descriptor.file, 'model.joblib');
    assert.deepEqual(modelInputs(descriptor), ['b', 'a']);
  });

  it('reads a legacy model-settings.json (parameters.uri, inputs), and a bare model.joblib, as sklearn', () => {
    fs.renameSync(path.join(dir, 'model.joblib'), path.join(dir, 'm.joblib'));
    write('model-settings.json', {
      name: 'churn',
      parameters: { uri: './m.joblib', version: '3' },
      inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }],
    });
    const legacy = readModelDescriptor(dir);
    assert.deepEqual([legacy.format, legacy.file, modelInputs(legacy)], ['sklearn', 'm.joblib', ['x']]);
    fs.rmSync(path.join(dir, 'model-settings.json'));
    fs.renameSync(path.join(dir, 'm.joblib'), path.join(dir, 'model.joblib'));
    const bare = readModelDescriptor(dir);
    assert.deepEqual([bare.file, modelInputs(bare)], ['model.joblib', undefined]);
  });

  it('prefers model.json over model-settings.json', () => {
    write('model.json', { format: 'sklearn', file: 'model.joblib', inputs: [{ name: 'new' }] });
    write('model-settings.json', { inputs: [{ name: 'old' }] });
    assert.deepEqual(modelInputs(readModelDescriptor(dir)), ['new']);
  });

  it('refuses a bad descriptor naming model.artifactUri, the file and the field', () => {
    write('model.json', { format: 'pmml', file: 'model.joblib' });
    assert.throws(() => readModelDescriptor(dir), refused(/model\.json: format: /));
    write('model.json', { format: 'sklearn', file: '../../etc/passwd' });
    assert.throws(
      () => readModelDescriptor(dir),
      refused(/model\.json: file: must be a file name inside the model folder/),
    );
    write('model.json', { format: 'sklearn', file: 'model.joblib', inputs: [{ datatype: 'FP64' }] });
    assert.throws(() => readModelDescriptor(dir), refused(/model\.json: inputs\.0\.name: /));
    write('model.json', '{ not json');
    assert.throws(() => readModelDescriptor(dir), refused(/model\.json: not valid JSON/));
    fs.rmSync(path.join(dir, 'model.json'));
    write('model-settings.json', { parameters: { uri: '../outside.joblib' } });
    assert.throws(() => readModelDescriptor(dir), refused(/model-settings\.json: parameters\.uri: /));
    fs.rmSync(path.join(dir, 'model-settings.json'));
    fs.rmSync(path.join(dir, 'model.joblib'));
    assert.throws(() => readModelDescriptor(dir), refused(/has no model\.joblib/));
  });
});

describe('gateway configuration', () => {
  const gatewayEnv = {
    MLOPS_GATEWAY_URL: 'http://127.0.0.1:8180/',
    MLOPS_GATEWAY_ADMIN_URL: 'http://127.0.0.1:8181',
    MLOPS_GATEWAY_TOKEN: 'secret',
  };

  it('has no gateway unless one is configured', () => {
    const result = validateConfig({}, cwd);
    assert.ok(result.ok);
    assert.equal(result.config.gateway, undefined);
  });

  it('reads MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN', () => {
    const result = validateConfig(gatewayEnv, cwd);
    assert.ok(result.ok);
    assert.deepEqual(result.config.gateway, {
      url: 'http://127.0.0.1:8180',
      adminUrl: 'http://127.0.0.1:8181',
      token: 'secret',
    });
  });

  it('names the missing variables when only some are set, and bad URLs', () => {
    const partial = validateConfig({ MLOPS_GATEWAY_URL: 'http://127.0.0.1:8180' }, cwd);
    assert.ok(!partial.ok);
    assert.match(partial.issues.join('\n'), /^MLOPS_GATEWAY_ADMIN_URL, MLOPS_GATEWAY_TOKEN: must be set too/);
    const bad = validateConfig({ ...gatewayEnv, MLOPS_GATEWAY_ADMIN_URL: 'ftp://x' }, cwd);
    assert.ok(!bad.ok);
    assert.match(bad.issues.join('\n'), /^MLOPS_GATEWAY_ADMIN_URL: must be the http\(s\) URL/);
  });

  it("falls back to the dev stack's gateway and its token file; the environment wins", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-gw-config-'));
    try {
      const tokenFile = path.join(home, 'gateway', 'admin-token');
      fs.mkdirSync(path.dirname(tokenFile), { recursive: true });
      fs.writeFileSync(tokenFile, 'from-file\n');
      const piece = { pid: 1, startedAt: new Date().toISOString(), logFile: path.join(home, 'gw.log') };
      writeStackFile(home, {
        gateway: { ...piece, url: 'http://127.0.0.1:9180', adminUrl: 'http://127.0.0.1:9181', tokenFile },
      });
      const fromStack = loadConfig({ MLOPS_HOME: home }, cwd);
      assert.deepEqual(fromStack.gateway, {
        url: 'http://127.0.0.1:9180',
        adminUrl: 'http://127.0.0.1:9181',
        token: 'from-file',
      });
      const overridden = loadConfig({ MLOPS_HOME: home, MLOPS_GATEWAY_TOKEN: 'from-env' }, cwd);
      assert.equal(overridden.gateway?.token, 'from-env');
      fs.rmSync(tokenFile);
      assert.equal(loadConfig({ MLOPS_HOME: home }, cwd).gateway, undefined, 'without its token the entry is ignored');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('serving activities', () => {
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  it('fail non-retryably with ServingUnavailable, saying what to do, on a worker without a gateway', async () => {
    const acts = createServingActivities({});
    await assert.rejects(
      env.run(acts.describeEndpoint, { endpoint: 'churn' }),
      (e: unknown) =>
        e instanceof ApplicationFailure &&
        e.nonRetryable &&
        e.type === 'ServingUnavailable' &&
        /mlops dev up/.test(e.message) &&
        /MLOPS_GATEWAY_TOKEN/.test(e.message),
    );
  });

  it('turn a gateway refusal (4xx other than 409) into a non-retryable GatewayRejected', async () => {
    const refusing = new FakeGatewayAdmin();
    refusing.getEndpoint = () =>
      Promise.reject(Object.assign(new Error('GET /admin/endpoints/churn: 401'), { status: 401 }));
    const servingBackend = new LocalServingBackend({
      store: createBlobStore({ kind: 'file', root: os.tmpdir(), uri: `file://${os.tmpdir()}` }),
      gateway: refusing,
      servingRoot: path.join(os.tmpdir(), 'mlops-serving-refused'),
      python: '/nonexistent/python',
    });
    const acts = createServingActivities({ servingBackend });
    await assert.rejects(
      env.run(acts.setTraffic, { endpoint: 'churn', weights: { a: 100 } }),
      (e: unknown) => e instanceof ApplicationFailure && e.nonRetryable && e.type === 'GatewayRejected',
    );
  });

  describe('over a backend and a gateway with no running servers', () => {
    const gateway = new FakeGatewayAdmin();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-serving-unit-'));
    const backend = new LocalServingBackend({
      store: createBlobStore({ kind: 'file', root: path.join(root, 'store'), uri: `file://${root}/store` }),
      gateway,
      servingRoot: path.join(root, 'serving'),
      python: '/nonexistent/python',
    });
    const acts = createServingActivities({ servingBackend: backend });
    const upstream = 'http://127.0.0.1:9';
    after(() => fs.rmSync(root, { recursive: true, force: true }));
    beforeEach(() => {
      gateway.endpoints.set('churn', {
        name: 'churn',
        revision: 4,
        variants: [
          { name: 'churn-v1', upstream, modelName: 'churn-v1' },
          { name: 'churn-v2', upstream, modelName: 'churn-v2' },
        ],
        weights: { 'churn-v1': 100, 'churn-v2': 0 },
      });
    });

    it('setTraffic: bad weights are a non-retryable InvalidServingArgument naming weights', async () => {
      await assert.rejects(
        env.run(acts.setTraffic, { endpoint: 'churn', weights: { 'churn-v1': 70 } }),
        (e: unknown) =>
          e instanceof ApplicationFailure &&
          e.nonRetryable &&
          e.type === 'InvalidServingArgument' &&
          /^weights/.test(e.message),
      );
    });

    it('setTraffic retries a lost revision race and reports the endpoint (unreachable servers are not ready)', async () => {
      gateway.conflicts = 2;
      const described: EndpointDescription = await env.run(acts.setTraffic, {
        endpoint: 'churn',
        weights: { 'churn-v1': 80, 'churn-v2': 20 },
      });
      assert.deepEqual(
        described.variants.map((v) => [v.name, v.model, v.version, v.weight, v.ready]),
        [
          ['churn-v1', 'churn', 1, 80, false],
          ['churn-v2', 'churn', 2, 20, false],
        ],
      );
      assert.equal(described.revision, 5);
    });

    it('unknown endpoints and variants are non-retryable; undeploying an unknown variant is a no-op', async () => {
      await assert.rejects(env.run(acts.describeEndpoint, { endpoint: 'nope' }), (e: unknown) => {
        return e instanceof ApplicationFailure && e.nonRetryable && e.type === 'EndpointNotFound';
      });
      await assert.rejects(
        env.run(acts.readVariantMetrics, { endpoint: 'churn', variant: 'churn-v9', windowSeconds: 60 }),
        (e: unknown) => e instanceof ApplicationFailure && e.type === 'VariantNotFound',
      );
      await env.run(acts.undeployVariant, { endpoint: 'churn', variant: 'churn-v9' });
      await assert.rejects(
        env.run(acts.waitVariantReady, { endpoint: 'churn', variant: 'churn-v9', timeoutMs: 100 }),
        (e: unknown) => e instanceof ApplicationFailure && e.type === 'VariantNotFound',
      );
    });

    it('deployVariant refuses bad names and model names the gateway cannot route, naming the field', async () => {
      const artifactUri = `file://${root}/store/models/m/versions/1`;
      const cases: [string, { name: string; version: number; artifactUri: string }, RegExp][] = [
        ['Bad Endpoint', { name: 'churn', version: 1, artifactUri }, /^endpoint: /],
        ['churn', { name: 'churn', version: 0, artifactUri }, /^model\.version: /],
        [
          'churn',
          { name: 'churn_model', version: 1, artifactUri },
          /^variant: "churn_model-v1" is not a valid variant/,
        ],
        ['churn', { name: 'churn', version: 1, artifactUri: 'file:///elsewhere/x' }, /^model\.artifactUri: /],
        ['churn', { name: 'churn', version: 1, artifactUri }, /^model\.artifactUri: no objects under/],
      ];
      for (const [endpoint, model, message] of cases) {
        await assert.rejects(
          env.run(acts.deployVariant, { endpoint, model }),
          (e: unknown) => e instanceof ApplicationFailure && e.nonRetryable && message.test(e.message),
          String(message),
        );
      }
      assert.equal(fs.existsSync(path.join(root, 'serving', 'churn')), false, 'a failed deploy leaves nothing behind');
    });
  });
});
