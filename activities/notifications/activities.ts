/**
 * The `notify` activity: posts a notification to a Slack-compatible webhook whose URL the worker
 * reads from its own environment (`process.env[webhookEnv]`), so the URL never enters workflow
 * inputs or history. Every string sent is redacted of the worker's secrets (lib/redact.ts).
 *
 * A spec names the variable, so it could name any of the worker's: only names starting with the
 * worker's webhook prefix (MLOPS_WEBHOOK_ENV_PREFIX, default `MLOPS_WEBHOOK_`) are read; any other
 * is a non-retryable `InvalidArgument` naming `webhookEnv` and the prefix, and nothing is sent.
 *
 * Outcomes: an unset variable is a result (`sent: false`), not an error; a redirect is not followed
 * and, like a 4xx answer, is a non-retryable `NotificationRejected` (429 excepted: it is retried);
 * 5xx answers, network errors and timeouts are retryable errors. A failure quotes the status only,
 * never the answer's body (a receiver may echo what it was sent, or its own internals).
 */
import { cancellationSignal } from '@temporalio/activity';
import { InvalidArgumentError } from '../../common/failures';
import { asActivity } from '../failures';
import { NotificationFailedError, NotificationRejectedError } from '../../common/failures';
import { slackBody, type NotificationMessage } from './message';
import { DEFAULT_WEBHOOK_ENV_PREFIX, redact, redactDeep, secretValues } from '../../lib/redact';

export interface NotifyInput extends NotificationMessage {
  /** Name of the worker's environment variable holding the webhook URL, e.g. `MLOPS_WEBHOOK_SLACK`. */
  webhookEnv: string;
}

export type NotifyResult = { sent: true } | { sent: false; reason: string };

export interface NotificationDeps {
  /** Where the webhook URL and the secrets to redact are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Per-request time limit. @default 10_000 */
  timeoutMs?: number;
  /** The only variables `webhookEnv` may name start with this (MLOPS_WEBHOOK_ENV_PREFIX). @default 'MLOPS_WEBHOOK_' */
  webhookEnvPrefix?: string;
  /** Secret values known beyond `env` (lib/redact.ts `secretValues` extra), also redacted. @default [] */
  secrets?: readonly string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Builds the notification activities. */
export function createNotificationActivities(deps: NotificationDeps = {}) {
  const env = deps.env ?? process.env;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const prefix = deps.webhookEnvPrefix ?? DEFAULT_WEBHOOK_ENV_PREFIX;
  return {
    /** Posts the notification to the webhook in `process.env[webhookEnv]`; `sent: false` when that is unset. */
    async notify(input: NotifyInput): Promise<NotifyResult> {
      return asActivity(async () => {
        checkInput(input, prefix);
        const url = env[input.webhookEnv];
        if (url === undefined || url.trim() === '') return { sent: false, reason: `${input.webhookEnv} is not set` };
        if (!isHttpUrl(url)) throw new InvalidArgumentError('webhookEnv', `${input.webhookEnv} is not an http(s) URL`);
        const secrets = secretValues(env, [url, ...(deps.secrets ?? [])], { webhookEnvPrefix: prefix });
        const body = JSON.stringify(redactDeep(slackBody(input), secrets));
        await post(url, body, timeoutMs, secrets);
        return { sent: true };
      });
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

async function post(url: string, body: string, timeoutMs: number, secrets: readonly string[]): Promise<void> {
  const cancelled = cancellationSignal();
  const signal = AbortSignal.any([cancelled, AbortSignal.timeout(timeoutMs)]);
  let response: Response;
  try {
    // a redirect is not followed: it could point the notification (and the URL's secret path) anywhere
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    if (cancelled.aborted) throw cancelled.reason instanceof Error ? cancelled.reason : error;
    const what = signal.aborted ? `no answer within ${timeoutMs} ms` : errorText(error);
    // never the URL: it is a credential
    throw new NotificationFailedError(`the webhook could not be reached: ${redact(what, secrets)}`);
  }
  // the answer's body is never read: no failure quotes it, and it may be of any size
  await response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) return;
  if (status >= 300 && status < 400) throw new NotificationRejectedError(status, 'a redirect, which is not followed');
  if (status >= 400 && status < 500 && status !== 429) throw new NotificationRejectedError(status, '');
  throw new NotificationFailedError(`the webhook answered with status ${status}`);
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${message}${cause}`;
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function checkInput(input: NotifyInput, prefix: string): void {
  if (typeof input?.webhookEnv !== 'string' || !ENV_NAME.test(input.webhookEnv))
    throw new InvalidArgumentError('webhookEnv', 'must be the name of an environment variable');
  if (!input.webhookEnv.startsWith(prefix) || input.webhookEnv === prefix)
    throw new InvalidArgumentError(
      'webhookEnv',
      `${input.webhookEnv} does not start with ${prefix}: this worker reads webhook URLs only from variables named ${prefix}<NAME> (MLOPS_WEBHOOK_ENV_PREFIX)`,
    );
  for (const field of ['event', 'pipeline', 'run', 'title', 'text'] as const) {
    if (typeof input[field] !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  }
  if (input.link !== undefined && typeof input.link !== 'string')
    throw new InvalidArgumentError('link', 'must be a string');
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`fields.${name}`, 'must be a string');
  }
}
