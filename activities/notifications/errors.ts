/** Notification errors: `PermanentError`s with a stable `type` (non-retryable once wrapped as activity failures). */
import { PermanentError } from '../../common/errors';

/** Thrown when the webhook refuses a notification with a 4xx status (a bad URL or payload; retrying will not help). */
export class NotificationRejectedError extends PermanentError {
  override readonly name = 'NotificationRejectedError';
  readonly type = 'NotificationRejected';
  override readonly details: { status: number };
  constructor(
    readonly status: number,
    answer: string,
  ) {
    super(`the webhook rejected the notification with status ${status}${answer ? `: ${answer}` : ''}`);
    this.details = { status };
  }
}
