/** Notification failures (common/failures/notifications.ts), for this folder's modules. */
export { NotificationFailedError, NotificationRejectedError } from '../../common/failures';
