/** Loggers for the SDK pieces tests run (bundler, mock activity contexts). */
import type { Logger } from '@temporalio/common';

/** Shows warnings and errors only. */
export const quietLogger: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** Shows nothing: for failures a test provokes on purpose. */
export const silentLogger: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
