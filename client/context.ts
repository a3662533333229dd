/** What every command gets: output, and configuration loaded on first use (so `--help` needs none). */
import type { LoadedConfig } from '../lib/config';
import { loadConfig } from '../lib/config';
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
      cached ??= loadConfig(env);
      return cached;
    },
  };
}
