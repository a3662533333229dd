/**
 * The notify activity against a fake webhook (test/support/fake-webhook.ts: a real HTTP server on
 * 127.0.0.1 that records what it receives):
 * the Slack-compatible body, redaction of secrets, an unset webhook variable, and how each kind
 * of answer fails (5xx and network errors retryable, 4xx not).
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createNotificationActivities, type NotifyInput } from '../../activities/notifications';
import { activityEnv } from '../registry/activity-env';
import { startFakeWebhook, type FakeWebhook } from '../support/fake-webhook';

async function failsWith(promise: Promise<unknown>, type: string, nonRetryable: boolean, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, nonRetryable);
    assert.match(error.message, message);
    return true;
  });
}

/** A path shaped like a Slack webhook's, whose secret part the activity must never log. */
const SLACK_PATH = '/services/T000/B000/XXXXsecretpath';

const input: NotifyInput = {
  webhookEnv: 'MLOPS_WEBHOOK_TEST',
  event: 'passed',
  pipeline: 'churn',
  run: 'retrain/churn/2026-11-27T05:42:28.992Z',
  title: 'churn v4 passed its gates',
  text: 'auc 0.84 ≥ 0.75',
  fields: { model: 'churn', version: '4' },
  link: 'https://reports.example.com/evaluations/retrain.html',
};

describe('notify activity', function () {
  this.timeout(30_000);
  let server: FakeWebhook;
  const env = activityEnv();

  beforeEach(async function () {
    server = await startFakeWebhook(SLACK_PATH);
  });
  afterEach(() => server.close());

  it('posts a Slack-compatible body: text fallback, header, text, fields, link, context', async function () {
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: server.url } });
    assert.deepEqual(await env.run(acts.notify, input), { sent: true });
    assert.equal(server.received.length, 1);
    const [request] = server.received;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/services/T000/B000/XXXXsecretpath');
    assert.equal(request!.contentType, 'application/json');
    const body = request!.body as { text: string; blocks: Record<string, unknown>[] };
    assert.match(body.text, /^churn v4 passed its gates\nauc 0\.84 ≥ 0\.75\n/);
    assert.deepEqual(body.blocks, [
      { type: 'header', text: { type: 'plain_text', text: 'churn v4 passed its gates', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'auc 0.84 ≥ 0.75' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*model*\nchurn' },
          { type: 'mrkdwn', text: '*version*\n4' },
        ],
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '<https://reports.example.com/evaluations/retrain.html|Open the report>' },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'passed · churn · retrain/churn/2026-11-27T05:42:28.992Z' }],
      },
    ]);
  });

  it('redacts secret-looking environment values and the webhook URL from everything it sends', async function () {
    const secret = 'sk-live-0123456789abcdef';
    const acts = createNotificationActivities({
      env: {
        MLOPS_WEBHOOK_TEST: server.url,
        OPENAI_API_KEY: secret,
        GITHUB_TOKEN: 'ghp_tokenvalue123',
        DB_PASSWORD: 'hunter2hunter2',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEID123',
        MLOPS_S3_FORCE_PATH_STYLE: 'true',
      },
    });
    await env.run(acts.notify, {
      ...input,
      title: `failed with ${secret}`,
      text: `traceback: key=${secret} token=ghp_tokenvalue123 pw=hunter2hunter2 aws=wJalrXUtnFEMI/K7MDENG url=${server.url}`,
      fields: { error: `auth ${secret}`, accessKey: 'AKIAEXAMPLEID123' },
    });
    const sent = JSON.stringify(server.received[0]!.body);
    for (const value of [secret, 'ghp_tokenvalue123', 'hunter2hunter2', 'wJalrXUtnFEMI/K7MDENG', server.url])
      assert.ok(!sent.includes(value), `${value} is not sent`);
    assert.match(sent, /failed with \[redacted\]/);
    assert.match(sent, /key=\[redacted\] token=\[redacted\] pw=\[redacted\] aws=\[redacted\] url=\[redacted\]/);
    assert.match(sent, /AKIAEXAMPLEID123/, 'key ids are identifiers, not secrets');
  });

  it('sends nothing and says why when the webhook variable is not set', async function () {
    const acts = createNotificationActivities({ env: {} });
    assert.deepEqual(await env.run(acts.notify, input), {
      sent: false,
      reason: 'MLOPS_WEBHOOK_TEST is not set',
    });
    assert.equal(server.received.length, 0);
  });

  it('throws a retryable error on a 5xx answer, and the retry succeeds', async function () {
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: server.url } });
    server.answers.push(500);
    await failsWith(env.run(acts.notify, input), 'NotificationFailed', false, /status 500$/);
    assert.deepEqual(await env.run(acts.notify, input), { sent: true });
    assert.equal(server.received.length, 2);
  });

  it('fails non-retryably with NotificationRejected on a 4xx answer, naming the status', async function () {
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: server.url } });
    server.answers.push(404);
    await assert.rejects(env.run(acts.notify, input), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'NotificationRejected');
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, /status 404$/);
      assert.deepEqual(error.details, [{ status: 404 }]);
      return true;
    });
  });

  it('throws retryable errors, without the URL, when the webhook cannot be reached or does not answer in time', async function () {
    const url = server.url;
    await server.close();
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: url } });
    await assert.rejects(env.run(acts.notify, input), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'NotificationFailed');
      assert.equal(error.nonRetryable, false);
      assert.ok(!error.message.includes(url));
      return true;
    });
    server = await startFakeWebhook(SLACK_PATH);
    server.hangForever();
    const slow = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: server.url }, timeoutMs: 300 });
    await failsWith(env.run(slow.notify, input), 'NotificationFailed', false, /no answer within 300 ms/);
  });

  it('stops waiting when the activity is cancelled', async function () {
    server.hangForever();
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: server.url } });
    const mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const started = Date.now();
    const pending = mock.run(acts.notify, input);
    setTimeout(() => mock.cancel(), 200);
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure && error.type === 'NotificationFailed'), String(error));
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'well before the 10 s timeout');
  });

  it('refuses a malformed variable name or a value that is not an http(s) URL', async function () {
    const acts = createNotificationActivities({ env: { MLOPS_WEBHOOK_TEST: 'file:///etc/passwd' } });
    await failsWith(
      env.run(acts.notify, { ...input, webhookEnv: 'not a name' }),
      'InvalidArgument',
      true,
      /^webhookEnv: /,
    );
    await failsWith(env.run(acts.notify, input), 'InvalidArgument', true, /MLOPS_WEBHOOK_TEST is not an http\(s\) URL/);
  });
});
