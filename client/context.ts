/**
 * What every command gets: output, and configuration loaded on first use (so `--help` needs none:
 * the config modules, zod among them, load only then).
 */
import type * as ConfigModule from '../lib/config';
import type { LoadedConfig } from '../lib/config';
import type { Output } from './output';

export interface CommandContext {
  out: Output;
  /** Loads and validates the configuration; throws `ConfigError` (exit 2) on a bad value. */
  config(): LoadedConfig;
}

export function createContext(out: Output, env: NodeJS.ProcessEnv = process.env): CommandContext {
  let cached: LoadedConfig | undefined;
  return {
    out,
    config() {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached ??= (require('../lib/config') as typeof ConfigModule).loadConfig(env);
      return cached;
    },
  };
}
