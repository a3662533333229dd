/**
 * Fake of the notify activity (activities/notifications: the real one posts to a webhook): records
 * every notification and posts nothing. It stands in for it where a workflow test asserts which
 * notifications a run sent, and in what order, rather than what went over HTTP (which
 * test/support/fake-webhook.ts is for).
 */
import type { NotifyInput } from '../../activities/notifications';

/** A notifier that records every notification it is asked to send. */
export class FakeNotifier {
  readonly sent: NotifyInput[] = [];

  /** The activities, to spread into a worker's. */
  activities() {
    return {
      notify: (input: NotifyInput) => {
        this.sent.push(input);
        return Promise.resolve({ sent: true as const });
      },
    };
  }
}
