/**
 * The heartbeat timeout of activities that heartbeat only to say they are alive (activities/keepalive.ts
 * beats every 5 s; the data activities every 10 s): when a worker dies mid-activity, the activity is
 * retried on another worker within this time rather than at the end of its start-to-close timeout.
 */
export const KEEPALIVE_TIMEOUT = '30s';
