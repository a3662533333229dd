/** Notifications from workflows: a notification that cannot be delivered never fails the workflow. */
import { isCancellation, log } from '@temporalio/workflow';
import type { NotifyInput } from '../../activities/notifications/activities';
import { notifications } from './activity-options';

/**
 * Posts `input` through the `notify` activity; a failure to deliver is logged and swallowed, only
 * cancellation passes through.
 */
export async function notifyQuietly(input: NotifyInput): Promise<void> {
  try {
    await notifications.notify.executeWithOptions({ summary: `notify ${input.event}` }, [input]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('notification not delivered', { event: input.event, error: String(err) });
  }
}
