/**
 * Store credentials, tried as a new user would get them wrong, against the run's real MinIO: a
 * wrong AWS_SECRET_ACCESS_KEY (or key id) makes every S3 call fail at once with
 * `StoreAccessDenied`, naming the endpoint, the bucket and the access key id but never the secret;
 * an activity that meets it is not retried, so a run fails at once instead of hanging; `mlops
 * doctor` says the same and exits 1; and credentials written into MLOPS_STORE are refused without
 * being echoed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createBlobStore } from '../../activities/storage';
import { StoreAccessDeniedError } from '../../common/failures';
import { healthCheck } from '../../workflows';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { testDeps, testS3Config, uniqueQueue, withWorker } from '../support/worker';

const WRONG_SECRET = 'not-the-secret-Zq7xW2';

describe('a store that refuses the credentials', function () {
  this.timeout(60_000);

  const badStore = (override: { accessKeyId?: string; secretAccessKey?: string }) => {
    const config = testS3Config(`creds-${randomUUID().slice(0, 8)}`);
    if (config.kind !== 's3') throw new Error('unreachable');
    return createBlobStore({ ...config, credentials: { ...config.credentials!, ...override } });
  };

  it('fails every S3 call at once with StoreAccessDenied naming endpoint, bucket and key id, never the secret', async () => {
    const { minio } = testStack();
    for (const [override, code] of [
      [{ secretAccessKey: WRONG_SECRET }, /SignatureDoesNotMatch/],
      [{ accessKeyId: 'no-such-key-id', secretAccessKey: WRONG_SECRET }, /InvalidAccessKeyId/],
    ] as const) {
      const store = badStore(override);
      const keyId = override.accessKeyId ?? minio.accessKeyId;
      const calls: [string, () => Promise<unknown>][] = [
        ['head (a body-less 403)', () => store.head('a/key')],
        ['get', () => store.getBytes('a/key')],
        ['put', () => store.put('a/key', 'body')],
        ['putIfAbsent', () => store.putIfAbsent('a/key', 'body')],
        ['list', async () => store.list('a/')[Symbol.asyncIterator]().next()],
        ['delete', () => store.delete('a/key')],
      ];
      for (const [what, call] of calls) {
        const started = Date.now();
        const error = await call().then(
          () => assert.fail(`${what}: succeeded with a wrong secret`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof StoreAccessDeniedError, `${what}: ${String(error)}`);
        assert.equal(error.type, 'StoreAccessDenied');
        assert.equal(error.retryable, false);
        assert.ok(error.message.includes(`endpoint ${minio.endpoint}`), error.message);
        assert.ok(error.message.includes(`bucket ${minio.bucket}`), error.message);
        assert.ok(error.message.includes(`access key id ${keyId}`), error.message);
        assert.ok(!error.message.includes(WRONG_SECRET) && !JSON.stringify(error.details).includes(WRONG_SECRET));
        // the HEAD's 403 has no body, so no code: the others name the store's
        if (what !== 'head (a body-less 403)') assert.match(error.message, code, what);
        else assert.match(error.message, /\(403 on HeadObject\)/);
        assert.ok(Date.now() - started < 5_000, `${what}: took ${Date.now() - started} ms`);
      }
    }
  });

  it('fails the activity non-retryably, so the run fails after one attempt', async () => {
    const { env, namespace } = testStack();
    const queue = uniqueQueue('store-creds');
    const deps = { ...testDeps(), store: badStore({ secretAccessKey: WRONG_SECRET }) };
    const workflowId = `health/store-creds/${randomUUID().slice(0, 8)}`;
    const result = await withWorker(queue, deps, () =>
      env.client.workflow.execute(healthCheck, {
        workflowId,
        taskQueue: queue,
        args: [{ nonce: 'creds', taskQueues: [queue] }],
      }),
    );
    const [probe] = result.queues;
    assert.ok(probe && !probe.ok);
    assert.match(probe.error, /the object store refused access .* access key id /);
    assert.ok(!probe.error.includes(WRONG_SECRET));
    // one attempt, not the three its retry policy allows
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const startedAttempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a) => a !== undefined && a !== null);
    assert.deepEqual(startedAttempts, [1], `in ${namespace}`);
    const failed = (history.events ?? []).find((e) => e.activityTaskFailedEventAttributes);
    const info = failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo;
    assert.equal(info?.type, 'StoreAccessDenied');
    assert.equal(info?.nonRetryable, true);
  });

  it('`mlops doctor` names the refusal, with endpoint, bucket and key id, and exits 1', async () => {
    const { minio } = testStack();
    const r = await runCli(['--json', 'doctor'], {
      ...cliEnv(`creds-${randomUUID().slice(0, 8)}`),
      AWS_SECRET_ACCESS_KEY: WRONG_SECRET,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.stdout.includes(WRONG_SECRET) && !r.stderr.includes(WRONG_SECRET), 'the secret is not shown');
    const checks = (JSON.parse(r.stdout) as { checks: { check: string; status: string; detail: string }[] }).checks;
    const store = checks.find((c) => c.check === 'object store');
    assert.equal(store?.status, 'fail');
    assert.match(store!.detail, /refused access \(403 on HeadObject\)/);
    for (const part of [`endpoint ${minio.endpoint}`, `bucket ${minio.bucket}`, `access key id ${minio.accessKeyId}`])
      assert.ok(store!.detail.includes(part), store!.detail);
  });

  it('refuses credentials written into MLOPS_STORE without echoing them', async () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    for (const uri of [
      `s3://AKIAIOSFODNN7EXAMPLE:${secret}@mlops/prefix`,
      `s3://AKIAIOSFODNN7EXAMPLE:${secret}@mlops`,
      `https://AKIAIOSFODNN7EXAMPLE:${secret}@s3.example.com/mlops`,
      `file://user:${secret}@host/store`,
    ]) {
      const r = await runCli(['dev', 'status'], { MLOPS_STORE: uri });
      assert.equal(r.code, 2, `${uri}: ${r.stderr}`);
      assert.match(r.stderr, /MLOPS_STORE: .*\*\*\*@/);
      assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), `${uri}: ${r.stderr}`);
      assert.ok(!r.stderr.includes('AKIAIOSFODNN7EXAMPLE'), r.stderr);
    }
  });
});
