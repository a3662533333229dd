/**
 * Which values the worker hides (lib/redact.ts) and where it finds them (worker/dependencies.ts
 * `workerSecrets`): secret-named variables, the known secret settings whatever their names, each
 * codec key on its own, webhook URLs, and the secrets the worker holds from files (the dev stack's
 * store key, the gateway token), as found and base64- or URL-encoded.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { redact, REDACTED, redactingStream, secretValues } from '../../lib/redact';
import { validateConfig } from '../../lib/config';
import { workerSecrets } from '../../worker/dependencies';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

describe('redaction of the worker secrets', function () {
  const env = {
    MLOPS_CODEC_KEYS: `new:${KEY_B},old:${KEY_A}`,
    TEMPORAL_API_KEY: 'temporal-api-key-123456',
    MLOPS_GATEWAY_TOKEN: 'gw-token-abcdefgh',
    MLOPS_WEBHOOK_TEAM: 'https://hooks.example.com/T0/B0/hooksecret',
    DATABASE_PASSWD: 'db-passwd-value',
    AWS_ACCESS_KEY_ID: 'AKIAIDENTIFIER',
    SHORT_TOKEN: 'abc',
    MLOPS_S3_FORCE_PATH_STYLE: 'true',
  };

  it('hides each codec key alone, the known settings, webhook URLs and secret-named variables', function () {
    const secrets = secretValues(env);
    const text = [
      `old key ${KEY_A}`,
      `new key ${KEY_B}`,
      `api ${env.TEMPORAL_API_KEY}`,
      `gw ${env.MLOPS_GATEWAY_TOKEN}`,
      `hook ${env.MLOPS_WEBHOOK_TEAM}`,
      `db ${env.DATABASE_PASSWD}`,
    ].join('\n');
    assert.equal(
      redact(text, secrets),
      ['old key', 'new key', 'api', 'gw', 'hook', 'db'].map((w) => `${w} ${REDACTED}`).join('\n'),
    );
  });

  it('hides them base64-, base64url- and URL-encoded too', function () {
    const secrets = secretValues(env);
    const token = env.MLOPS_GATEWAY_TOKEN;
    const b64 = Buffer.from(token).toString('base64');
    const urlKey = encodeURIComponent(KEY_A);
    const hook = encodeURIComponent(env.MLOPS_WEBHOOK_TEAM);
    assert.notEqual(urlKey, KEY_A, 'the key has characters URL encoding changes');
    const out = redact(`a=${b64} b=${Buffer.from(token).toString('base64url')} c=${urlKey} d=${hook}`, secrets);
    assert.equal(out, `a=${REDACTED} b=${REDACTED} c=${REDACTED} d=${REDACTED}`);
  });

  it('leaves identifiers, short values and settings that are not secrets alone', function () {
    const out = redact('id AKIAIDENTIFIER abc true', secretValues(env));
    assert.equal(out, 'id AKIAIDENTIFIER abc true');
  });

  it("the worker's list holds what it got from the dev stack's files, not only its environment", function () {
    const result = validateConfig({}, '/work', {
      store: {
        uri: 's3://mlops',
        endpoint: 'http://127.0.0.1:9000',
        accessKeyId: 'mlops',
        secretAccessKey: 'stack-store-secret',
      },
      gateway: { url: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2', token: 'stack-gateway-token' },
    });
    assert.ok(result.ok);
    const secrets = workerSecrets(result.config);
    const out = redact('store stack-store-secret gateway stack-gateway-token', secrets);
    assert.equal(out, `store ${REDACTED} gateway ${REDACTED}`);
  });

  it('redacts a stream line by line, a secret split across chunks and a multi-byte character too', async function () {
    const secret = 'split-secret-value-0123456789';
    const text = `é ${secret} é\nsecond ${secret}\nlast line without newline ${secret}`;
    const bytes = Buffer.from(text, 'utf8');
    // three-byte chunks: every secret and every é is cut somewhere
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.subarray(i * 3, i * 3 + 3));
    let out = '';
    for await (const piece of Readable.from(chunks).pipe(redactingStream([secret]))) out += String(piece);
    assert.equal(out, `é ${REDACTED} é\nsecond ${REDACTED}\nlast line without newline ${REDACTED}`);
  });
});
