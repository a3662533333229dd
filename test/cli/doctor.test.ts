/** `mlops doctor` against this run's dev server and MinIO, and against things that are wrong. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../lib/ports';
import { cliEnv, runCli } from '../support/cli';

describe('mlops doctor', function () {
  this.timeout(60_000);
  const doctor = async (env: NodeJS.ProcessEnv) => {
    const r = await runCli(['--json', 'doctor'], env);
    const body = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; status: string; detail: string }[] };
    return { code: r.code, body, check: (name: string) => body.checks.find((c) => c.check === name) };
  };

  it('passes against the test stack: server, namespace, search attributes, store', async () => {
    const env = cliEnv(`doctor-${randomUUID().slice(0, 8)}`);
    const r = await doctor(env);
    assert.equal(r.code, 0, JSON.stringify(r.body));
    assert.equal(r.check('temporal server')?.status, 'ok');
    assert.equal(r.check('namespace')?.status, 'ok');
    assert.match(r.check('search attributes')!.detail, /all 8 registered/);
    assert.match(r.check('object store')!.detail, /^s3:\/\/.*write, read, delete/);
    // no worker polls this run's fresh queues: a warning, not a failure
    assert.ok(r.body.checks.some((c) => c.check.startsWith('workers on ') && c.status === 'warn'));
    // each of the three task queues, the serving hosts' too
    for (const queue of [env.MLOPS_TASK_QUEUE, env.MLOPS_TRAINING_TASK_QUEUE, env.MLOPS_SERVING_TASK_QUEUE])
      assert.ok(r.check(`workers on ${queue}`), `checks the workers on ${queue}`);
  });

  it('says in plain words what is wrong, and exits 1', async () => {
    const port = await freePort();
    const r = await doctor({
      ...cliEnv(`doctor-${randomUUID().slice(0, 8)}`),
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      MLOPS_CODEC_KEYS: 'k1:tooshort',
      MLOPS_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    assert.equal(r.code, 1);
    assert.match(r.check('temporal server')!.detail, new RegExp(`cannot reach 127.0.0.1:${port}.*mlops dev up`));
    assert.equal(r.check('object store')?.status, 'fail');
    assert.match(r.check('payload codec')!.detail, /MLOPS_CODEC_KEYS: key k1 must be 32 bytes/);
  });
});
