/**
 * The payload codec: AES-256-GCM with key ids (rotation), wired into a worker and a client, and
 * the codec server the UI calls. With the codec on, the dev server's history (as
 * `temporal workflow show --output json` prints it) holds no param, metric or error text in clear,
 * while the client still reads the result and the codec server decodes what the UI would fetch.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { AesGcmCodec, clientDataConverter, codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { startCodecServer } from '../../codec-server/server';
import { requireTool } from '../../lib/tools';
import { trainModel } from '../../workflows';
import { runCli } from '../support/cli';
import { testStack, workflowBundle } from '../support/stack';
import { testDeps } from '../support/worker';

const run = promisify(execFile);
const key = () => randomBytes(32).toString('base64');

describe('payload codec', function () {
  this.timeout(120_000);

  it('round-trips payloads, decodes old keys after rotation, and refuses unknown keys or tampering', async () => {
    const k1 = key();
    const k2 = key();
    const before = new AesGcmCodec(codecKeysFromEnv({ MLOPS_CODEC_KEYS: `k1:${k1}` })!);
    const after = new AesGcmCodec(codecKeysFromEnv({ MLOPS_CODEC_KEYS: `k2:${k2},k1:${k1}` })!);
    const plain = defaultPayloadConverter.toPayload({ learning_rate: 0.1, note: 'secret-ish' });
    const [sealed] = await before.encode([plain]);
    assert.equal(Buffer.from(sealed!.metadata!.encoding!).toString(), 'binary/encrypted');
    assert.doesNotMatch(Buffer.from(sealed!.data!).toString('latin1'), /secret-ish|learning_rate/);
    const [opened] = await after.decode([sealed!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { learning_rate: 0.1, note: 'secret-ish' });
    const [resealed] = await after.encode([plain]);
    assert.equal(Buffer.from(resealed!.metadata!['encryption-key-id']!).toString(), 'k2');
    await assert.rejects(before.decode([resealed!]), /codec key "k2", which this process does not have$/);
    const tampered = { ...sealed!, data: Buffer.from(sealed!.data!).fill(0, 20, 21) };
    await assert.rejects(after.decode([tampered]));
    // unencrypted payloads pass through (histories from before the codec was turned on)
    assert.deepEqual(await after.decode([plain]), [plain]);
  });

  it('names the variable of a bad key setting', () => {
    assert.equal(codecKeysFromEnv({}), undefined);
    assert.throws(
      () => codecKeysFromEnv({ MLOPS_CODEC_KEYS: 'k1:short' }),
      /MLOPS_CODEC_KEYS: key k1 must be 32 bytes/,
    );
    assert.throws(
      () => codecKeysFromEnv({ MLOPS_CODEC_KEYS: 'nokey' }),
      /MLOPS_CODEC_KEYS: entry 1 is not id:base64key/,
    );
    assert.throws(
      () => codecKeysFromEnv({ MLOPS_CODEC_KEY_FILE: '/nonexistent/keys.json' }),
      /MLOPS_CODEC_KEY_FILE: cannot read \/nonexistent\/keys.json/,
    );
    const file = path.join(testStack().tmpDir, `keys-${randomUUID()}.json`);
    fs.writeFileSync(file, JSON.stringify({ current: 'b', keys: { a: key() } }));
    assert.throws(() => codecKeysFromEnv({ MLOPS_CODEC_KEY_FILE: file }), /the current key b is not among the keys/);
  });

  it('keeps params and metrics out of the server’s history; the client and the codec server still read them', async () => {
    const { env: testEnv, address, namespace, tmpDir } = testStack();
    const codecEnv = { MLOPS_CODEC_KEYS: `main:${key()}` };
    const dataConverter = clientDataConverter(codecEnv)!;
    const id = randomUUID().slice(0, 8);
    const queue = `codec-${id}`;
    const trainingQueue = `codec-training-${id}`;
    const deps = testDeps();
    const activities = createActivities(deps);
    const common = { connection: testEnv.nativeConnection, namespace, activities, dataConverter };
    const workers = [
      await Worker.create({ ...common, taskQueue: queue, workflowBundle: await workflowBundle() }),
      await Worker.create({ ...common, taskQueue: trainingQueue }),
    ];
    const client = new Client({ connection: testEnv.connection, namespace, dataConverter });
    const PARAM = `p-${id}-secret-param`;
    const workflowId = `train/codec/${id}`;
    const result = await Promise.race([
      ...workers.map((w) => w.run().then(() => undefined)),
      client.workflow.execute(trainModel, {
        workflowId,
        taskQueue: queue,
        args: [
          {
            pipeline: 'codec',
            trainingTaskQueue: trainingQueue,
            job: {
              name: 'codec-job',
              command: ['sh', '-c', 'echo "{\\"auc\\": 0.9871234}" > "$MLOPS_OUTPUT_DIR/metrics.json"'],
              codeDir: tmpDir,
              env: {},
              params: { marker: PARAM },
            },
          },
        ],
      }),
    ]).finally(() => workers.forEach((w) => w.shutdown()));
    assert.ok(result, 'the workflow finished');
    assert.deepEqual(result.metrics, { auc: 0.9871234 });

    const { stdout } = await run(requireTool('temporal'), [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--address',
      address,
      '--namespace',
      namespace,
      '--output',
      'json',
    ]);
    assert.match(stdout, new RegExp(Buffer.from('binary/encrypted').toString('base64')));
    const decodedText = (s: string) => {
      // payload data in the JSON output is base64: look at it decoded too
      const found: string[] = [];
      for (const m of s.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g))
        found.push(Buffer.from(m[1]!, 'base64').toString('latin1'));
      return `${s}\n${found.join('\n')}`;
    };
    const history = decodedText(stdout);
    assert.doesNotMatch(history, new RegExp(PARAM), 'the param is nowhere in clear');
    assert.doesNotMatch(history, /0\.9871234/, 'the metric is nowhere in clear');

    // what the UI does with the codec server: POST the raw payloads, read them decoded
    const token = randomBytes(24).toString('base64url');
    const server = await startCodecServer({
      codec: new AesGcmCodec(codecKeysFromEnv(codecEnv)!),
      token,
      port: 0,
      corsOrigins: ['http://127.0.0.1:8233'],
    });
    try {
      const events = JSON.parse(stdout) as { events: Record<string, unknown>[] };
      const started = events.events[0]!.workflowExecutionStartedEventAttributes as {
        input: { payloads: { metadata: Record<string, string>; data: string }[] };
      };
      const preflight = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
      const res = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'http://127.0.0.1:8233',
          'x-namespace': namespace,
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ payloads: started.input.payloads }),
      });
      assert.equal(res.status, 200);
      const decoded = (await res.json()) as { payloads: { data: string }[] };
      assert.match(Buffer.from(decoded.payloads[0]!.data, 'base64').toString(), new RegExp(PARAM));
      const bad = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"payloads": 3}',
      });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }

    // the CLI with the codec reads the run like any other
    const shown = await runCli(['--json', 'runs', 'list', '--type', 'train', '--limit', '200'], {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      ...codecEnv,
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(JSON.parse(shown.stdout).runs.some((r: { workflowId: string }) => r.workflowId === workflowId));
  });
});
