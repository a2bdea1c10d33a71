/**
 * Headless Chromium for end-to-end tests: Debian's `chromium` package (`.ci/apt-packages.txt`; `.ci/run` installs
 * it) driven by playwright-core. Playwright's own browser download is not used (it cannot reach its CDN here).
 * Flags from the project's notes on real engines ("Browser tests"); `--no-sandbox` only when running as root, where
 * Chromium's sandbox cannot start. Each launch gets a fresh profile: Playwright creates a new temporary
 * user-data-dir per launch (and refuses a `--user-data-dir` argument), and removes it on close.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!chromiumAvailable()) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Fix: apt-get install -y chromium (listed in .ci/apt-packages.txt), or set CHROMIUM_PATH.`);
  }
  const args = ["--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 60_000 });
  return {
    browser,
    close: () => browser.close(),
  };
}
