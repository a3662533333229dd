/**
 * Notifications: run events (passed, rejected, awaiting approval, promoted, failed…) posted to a
 * Slack-compatible webhook. The URL stays on the worker: workflows name only its variable.
 *
 * - ./message.ts     `slackBody`: the JSON body (text fallback and blocks)
 * - lib/redact.ts    the worker's secret values replaced by `[redacted]` in everything sent
 * - ./activities.ts  `createNotificationActivities`: `notify`
 */
export {
  createNotificationActivities,
  type NotificationActivities,
  type NotificationDeps,
  type NotifyInput,
  type NotifyResult,
} from './activities';
export { slackBody, type NotificationMessage } from './message';
export { redact, REDACTED, secretValues } from '../../lib/redact';
