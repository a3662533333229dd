/** Failures of notifications to the Slack-compatible webhook (activities/notifications/). */
import { Failure } from './failure';

/** Thrown when the webhook refuses a notification with a 4xx status other than 429 (a bad URL or payload). */
export class NotificationRejectedError extends Failure<'NotificationRejected'> {
  override readonly name = 'NotificationRejectedError';
  declare readonly details: { status: number };
  constructor(
    readonly status: number,
    answer: string,
  ) {
    super(
      'NotificationRejected',
      `the webhook rejected the notification with status ${status}${answer ? `: ${answer}` : ''}`,
      { details: { status } },
    );
  }
}

/** Thrown when the webhook cannot be reached or answers 429 or 5xx; retried. The message never holds the URL. */
export class NotificationFailedError extends Failure<'NotificationFailed'> {
  override readonly name = 'NotificationFailedError';
  constructor(message: string) {
    super('NotificationFailed', message);
  }
}
