/**
 * Opening a URL in the user's browser, when there is one: `$BROWSER` if set (a command line, split
 * like a shell would without running one; `%s` stands for the URL, else the URL is appended), else
 * `open` on macOS, `cmd /c start` on Windows, and `xdg-open` on Linux only when a display is there
 * (DISPLAY or WAYLAND_DISPLAY). Headless hosts (ssh, CI, containers) get `opened: false` and the
 * caller prints the URL instead. The browser is started detached and never waited for.
 *
 * Hand-written rather than the well-known `open` package: its maintained versions are ESM-only,
 * and this project is CommonJS; what is needed here is a dozen lines.
 */
import { spawn } from 'node:child_process';

export interface OpenResult {
  /** Whether an opener was started (not whether a page is now showing: that is the browser's business). */
  opened: boolean;
  /** The program that was started, e.g. `xdg-open`. */
  command?: string;
}

/** Opens `url` in the browser when there is one; never throws for a missing or failing opener. */
export async function openUrl(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<OpenResult> {
  const argv = openerFor(url, env, platform);
  if (!argv) return { opened: false };
  const [command, ...args] = argv as [string, ...string[]];
  const opened = await new Promise<boolean>((resolve) => {
    try {
      const child = spawn(command, args, {
        detached: true,
        stdio: 'ignore',
        env,
        windowsVerbatimArguments: platform === 'win32',
      });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
  return opened ? { opened, command } : { opened };
}

/** The command line that opens `url` here, or undefined when there is no browser to open. */
export function openerFor(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] | undefined {
  const browser = env.BROWSER?.trim();
  if (browser) {
    const words = splitCommand(browser);
    if (words.length === 0) return undefined;
    return words.some((w) => w.includes('%s')) ? words.map((w) => w.replaceAll('%s', url)) : [...words, url];
  }
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""', `"${url.replace(/"/g, '%22')}"`];
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    return env.DISPLAY || env.WAYLAND_DISPLAY ? ['xdg-open', url] : undefined;
  }
  return undefined;
}

/** Splits a command line into words: blanks separate, single and double quotes group, `\` escapes. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
