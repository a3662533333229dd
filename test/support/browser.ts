/**
 * Headless Chromium for the browser suite, driven by playwright-core (which ships no browser).
 * The binary comes from CHROMIUM_PATH, else `chromium` on PATH (Debian's package, which
 * infra/dev/install-tools installs: `npm run setup`, and `npm test` before it runs); without one the
 * suite fails, it is not skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The Chromium executable: CHROMIUM_PATH, else the first `chromium` / `chromium-browser` on PATH. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv))
      throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist: the Temporal UI suite needs Chromium`);
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = path.join(dir, name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error(
    'Chromium not found: the Temporal UI suite needs it. Install it (Debian: apt-get install chromium) ' +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  );
}

/** Launches headless Chromium (without its sandbox when running as root, as CI does). */
export async function launchChromium(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: asRoot ? ['--no-sandbox'] : [] });
}

/**
 * Waits until the visible text of the page or of one of its frames (the UI renders summaries and
 * details as markdown in iframes) contains `text` or matches it.
 */
export async function waitForText(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<void> {
  const matches = (shown: string) => (typeof text === 'string' ? shown.includes(text) : text.test(shown));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await Promise.all(
      page.frames().map((frame) =>
        frame
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => ''),
      ),
    );
    if (shown.some(matches)) return;
    if (Date.now() >= deadline) {
      throw new Error(`the page ${page.url()} never showed ${String(text)}; it shows:\n${shown.join('\n----\n')}`);
    }
    await page.waitForTimeout(250);
  }
}
