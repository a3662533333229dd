/**
 * The project's model server (activities/serving/model_server.py: KServe's `ModelServer` with the
 * project's model class), run as the local backend and a KServe ServingRuntime run it, over model
 * folders a real training job wrote: what it answers, what it refuses, and where it listens.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MODEL_SERVER_SCRIPT } from '../../activities/serving/model-server';
import { toInferenceRequest, type InferenceResponse } from '../../activities/serving/inference-request';
import { freePort } from '../../lib/ports';
import { VENV_PYTHON, REPO_ROOT } from '../../lib/tools';

const run = promisify(execFile);
const CHURN_DIR = path.join(REPO_ROOT, 'examples', 'churn');

interface Server {
  url: string;
  port: number;
  proc: ChildProcess;
  log: () => string;
}

/** Starts the model server over `modelDir` as `name`, and waits until it reports ready. */
async function startServer(modelDir: string, name: string): Promise<Server> {
  const port = await freePort();
  let log = '';
  const proc = spawn(
    VENV_PYTHON,
    [MODEL_SERVER_SCRIPT, `--model_dir=${modelDir}`, `--model_name=${name}`, `--http_port=${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the model server exited ${proc.exitCode}:\n${log}`);
    const ready = await fetch(`${url}/v2/models/${name}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, port, proc, log: () => log };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`the model server was not ready in 60 s:\n${log}`);
}

async function stopServer(server: Server | undefined): Promise<void> {
  if (!server || server.proc.exitCode !== null) return;
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGKILL');
  await exited;
}

async function infer(server: Server, model: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** The local addresses (hex `ip:port` of /proc/net/tcp*) listening on `port`. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(1) : []))
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[3] === '0A' && cols[1]?.endsWith(`:${hexPort}`))
    .map((cols) => cols[1]!);
}

describe('the model server (KServe ModelServer with the project model class)', function () {
  this.timeout(180_000);
  let work: string;
  let churnDir: string;
  let rows: Record<string, string | number>[];
  let churn: Server | undefined;

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-model-server-'));
    const data = path.join(work, 'data');
    churnDir = path.join(work, 'churn');
    await run(VENV_PYTHON, ['generate_data.py', '--rows', '400', '--seed', '5', '--out', data], { cwd: CHURN_DIR });
    await run(VENV_PYTHON, ['train.py'], {
      cwd: CHURN_DIR,
      env: { ...process.env, MLOPS_DATA_DIR: data, MLOPS_OUTPUT_DIR: churnDir, MLOPS_PARAMS: '{"max_iter": 10}' },
    });
    const [header, ...lines] = fs.readFileSync(path.join(data, 'holdout.csv'), 'utf8').trim().split('\n');
    const names = header!.split(',');
    rows = lines
      .slice(0, 6)
      .map((line) =>
        Object.fromEntries(
          line.split(',').map((cell, i) => [names[i]!, /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell]),
        ),
      );
    churn = await startServer(churnDir, 'churn-v3');
  });

  after(async () => {
    await stopServer(churn);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('answers predict and predict_proba for a trained churn model, one row each, the class the likelier one', async () => {
    const { status, json } = await infer(churn!, 'churn-v3', toInferenceRequest(rows, ['predict', 'predict_proba']));
    assert.equal(status, 200, JSON.stringify(json));
    const response = json as InferenceResponse;
    assert.equal(response.model_name, 'churn-v3');
    const byName = Object.fromEntries(response.outputs.map((o) => [o.name, o]));
    assert.deepEqual(byName.predict?.shape, [rows.length, 1]);
    assert.equal(byName.predict?.datatype, 'INT64');
    assert.deepEqual(byName.predict_proba?.shape, [rows.length, 2]);
    const proba = byName.predict_proba!.data as number[];
    rows.forEach((_, i) => {
      const [p0, p1] = [proba[2 * i]!, proba[2 * i + 1]!];
      assert.ok(Math.abs(p0 + p1 - 1) < 1e-9, `row ${i}: probabilities sum to 1`);
      assert.equal(byName.predict!.data[i], p1 > p0 ? 1 : 0, `row ${i}: predict is the likelier class`);
    });
  });

  it('answers predict only when no output is asked for, and refuses an unknown output with 400 naming it', async () => {
    const plain = await infer(churn!, 'churn-v3', toInferenceRequest(rows));
    assert.equal(plain.status, 200);
    assert.deepEqual(
      (plain.json as InferenceResponse).outputs.map((o) => o.name),
      ['predict'],
    );
    const odd = await infer(churn!, 'churn-v3', toInferenceRequest(rows, ['transform']));
    assert.equal(odd.status, 400);
    assert.match(JSON.stringify(odd.json), /outputs: \\"transform\\" is not one of predict, predict_proba/);
  });

  it('orders a pandas request by the descriptor: columns in any order, extra ones left out', async () => {
    const shuffled = rows.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    const inOrder = await infer(churn!, 'churn-v3', toInferenceRequest(rows, ['predict_proba']));
    const reversed = await infer(churn!, 'churn-v3', toInferenceRequest(shuffled, ['predict_proba']));
    assert.equal(reversed.status, 200, JSON.stringify(reversed.json));
    assert.deepEqual(
      (reversed.json as InferenceResponse).outputs[0]?.data,
      (inOrder.json as InferenceResponse).outputs[0]?.data,
    );
  });

  it('listens on loopback only, and serves neither the model repository API nor the docs pages', async () => {
    const addresses = listeningAddresses(churn!.port);
    assert.ok(addresses.length > 0, 'found its listening socket');
    for (const address of addresses) assert.match(address, /^0100007F:/, `listens on ${address}, 127.0.0.1 only`);
    for (const [method, route] of [
      ['POST', '/v2/repository/models/churn-v3/unload'],
      ['POST', '/v2/repository/models/churn-v3/load'],
      ['POST', '/v2/repository/index'],
      ['GET', '/docs'],
      ['GET', '/openapi.json'],
    ] as const) {
      const res = await fetch(`${churn!.url}${route}`, { method });
      await res.arrayBuffer();
      assert.equal(res.status, 404, `${method} ${route}`);
    }
    const ready = await fetch(`${churn!.url}/v2/models/churn-v3/ready`);
    assert.equal(ready.status, 200, 'the model is still served after the unload attempt');
    const health = await fetch(`${churn!.url}/v2/health/ready`);
    assert.equal(health.status, 200);
  });

  it('serves a folder with only the legacy model-settings.json, its uri and its inputs', async () => {
    const legacy = path.join(work, 'legacy');
    fs.mkdirSync(legacy);
    // a regressor on (b, a) by position: y = 10 b
    await run(VENV_PYTHON, [
      '-c',
      [
        'import sys, joblib, numpy as np',
        'from sklearn.linear_model import LinearRegression',
        'X = np.array([[1.0, 5.0], [2.0, -3.0], [3.0, 0.0], [4.0, 1.0]])',
        'joblib.dump(LinearRegression().fit(X, 10 * X[:, 0]), sys.argv[1] + "/regressor.joblib")',
      ].join('\n'),
      legacy,
    ]);
    const inputs = ['b', 'a'].map((name) => ({ name, datatype: 'FP64', shape: [-1] }));
    fs.writeFileSync(
      path.join(legacy, 'model-settings.json'),
      JSON.stringify({ name: 'r', parameters: { uri: './regressor.joblib', version: '7' }, inputs }),
    );
    const server = await startServer(legacy, 'legacy-v1');
    try {
      const predicted = await infer(server, 'legacy-v1', toInferenceRequest([{ a: 100, b: 2 }]));
      assert.equal(predicted.status, 200, JSON.stringify(predicted.json));
      const [value] = (predicted.json as InferenceResponse).outputs[0]!.data as number[];
      assert.ok(Math.abs(value! - 20) < 1e-6, `b first, as its inputs list it: ${value}`);
      const proba = await infer(server, 'legacy-v1', toInferenceRequest([{ a: 1, b: 2 }], ['predict_proba']));
      assert.equal(proba.status, 400);
      assert.match(JSON.stringify(proba.json), /the model has no predict_proba/);
    } finally {
      await stopServer(server);
    }
  });

  it('exits 2 naming model.json and the field when the descriptor is invalid', async () => {
    const bad = path.join(work, 'bad');
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(churnDir, 'model.joblib'), path.join(bad, 'model.joblib'));
    fs.writeFileSync(path.join(bad, 'model.json'), JSON.stringify({ format: 'onnx', file: 'model.joblib' }));
    const failed = await run(VENV_PYTHON, [MODEL_SERVER_SCRIPT, `--model_dir=${bad}`, '--model_name=bad-v1']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(failed?.code, 2);
    assert.match(failed!.stderr, /model\.json: format: must be one of sklearn/);
    fs.writeFileSync(
      path.join(bad, 'model.json'),
      JSON.stringify({ format: 'sklearn', file: '../churn/model.joblib' }),
    );
    const outside = await run(VENV_PYTHON, [MODEL_SERVER_SCRIPT, `--model_dir=${bad}`, '--model_name=bad-v1']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(outside?.code, 2);
    assert.match(outside!.stderr, /file: "\.\.\/churn\/model\.joblib" is outside the model folder/);
  });
});
