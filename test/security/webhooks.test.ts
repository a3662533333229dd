/**
 * Webhooks as an attacker would use them: a spec naming one of the worker's secret variables as its
 * `webhookEnv` (to have the secret posted somewhere, or quoted in the failure), a webhook that
 * redirects the notification elsewhere, and a receiver whose error answer would land in the
 * workflow history. Real HTTP servers on 127.0.0.1 (test/support/fake-webhook.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createNotificationActivities, type NotifyInput } from '../../activities/notifications';
import { activityEnv } from '../registry/activity-env';
import { startFakeWebhook, type FakeWebhook } from '../support/fake-webhook';

const input: NotifyInput = {
  webhookEnv: 'MLOPS_WEBHOOK_TEAM',
  event: 'failed',
  pipeline: 'churn',
  run: 'retrain/churn/2026-12-07T00:00:00.000Z',
  title: 'churn failed',
  text: 'the training job failed',
};

/** A server that answers every request with `status` (and `headers`, `body`), recording how many it got. */
async function startAnswering(
  status: number,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function failure(error: unknown): ApplicationFailure {
  assert.ok(error instanceof ApplicationFailure, String(error));
  return error;
}

describe('webhooks', function () {
  this.timeout(20_000);
  const env = activityEnv();
  let target: FakeWebhook;

  beforeEach(async () => {
    target = await startFakeWebhook('/elsewhere');
  });
  afterEach(() => target.close());

  it('does not follow a redirect: the server it points to gets nothing, and the run is told why', async function () {
    const redirecting = await startAnswering(307, { location: target.url });
    try {
      const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEAM: redirecting.url } });
      await assert.rejects(env.run(acts.notify, input), (error: unknown) => {
        const f = failure(error);
        assert.equal(f.type, 'NotificationRejected');
        assert.equal(f.nonRetryable, true);
        assert.match(f.message, /status 307: a redirect, which is not followed/);
        assert.ok(!f.message.includes(target.url), 'the redirect target is not quoted');
        return true;
      });
      assert.equal(redirecting.hits(), 1);
      assert.equal(target.received.length, 0, 'the redirect target received nothing');
    } finally {
      await redirecting.close();
    }
  });

  for (const status of [500, 400]) {
    it(`quotes only the status of a ${status} answer, never its body`, async function () {
      const marker = `body-marker-${status}-7f3a9c`;
      const failing = await startAnswering(status, {}, `internal: ${marker} (echo of your request)`);
      try {
        const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEAM: failing.url } });
        await assert.rejects(env.run(acts.notify, input), (error: unknown) => {
          const f = failure(error);
          assert.match(f.message, new RegExp(`status ${status}$`));
          assert.ok(!JSON.stringify({ message: f.message, details: f.details }).includes(marker), f.message);
          return true;
        });
      } finally {
        await failing.close();
      }
    });
  }

  for (const secretName of ['AWS_SECRET_ACCESS_KEY', 'MLOPS_CODEC_KEYS', 'MLOPS_SLACK_WEBHOOK']) {
    it(`refuses a webhookEnv naming ${secretName}, outside the prefix, and sends nothing`, async function () {
      // the value is a URL, so only the prefix stands between the spec and the worker's variable
      const acts = createNotificationActivities({ env: { [secretName]: target.url } });
      await assert.rejects(env.run(acts.notify, { ...input, webhookEnv: secretName }), (error: unknown) => {
        const f = failure(error);
        assert.equal(f.type, 'InvalidArgument');
        assert.equal(f.nonRetryable, true);
        assert.match(f.message, new RegExp(`^webhookEnv: ${secretName} does not start with MLOPS_WEBHOOK_`));
        assert.ok(!f.message.includes(target.url));
        return true;
      });
      assert.equal(target.received.length, 0);
    });
  }

  it('reads only the prefix the worker is configured with (MLOPS_WEBHOOK_ENV_PREFIX)', async function () {
    const acts = createNotificationActivities({
      env: { TEAM_HOOK_CHURN: target.url, MLOPS_WEBHOOK_TEAM: target.url },
      webhookEnvPrefix: 'TEAM_HOOK_',
    });
    assert.deepEqual(await env.run(acts.notify, { ...input, webhookEnv: 'TEAM_HOOK_CHURN' }), { sent: true });
    await assert.rejects(env.run(acts.notify, input), /webhookEnv: MLOPS_WEBHOOK_TEAM does not start with TEAM_HOOK_/);
    assert.equal(target.received.length, 1);
  });
});
