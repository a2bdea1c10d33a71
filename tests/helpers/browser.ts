/**
 * Headless browsers for end-to-end tests, each the distribution's own build (`.ci/apt-packages.txt`; `.ci/run`
 * installs them; on GitHub's Ubuntu runner, the image's own, ci.yml), never a test tool's download of its own.
 * Chromium: Debian's `chromium` package driven by playwright-core. Firefox: Debian's `firefox-esr` driven by
 * puppeteer-core over WebDriver BiDi, the protocol Firefox itself speaks (Playwright drives only its own patched
 * Firefox builds, which it downloads). Flags from the project's notes on real engines ("Browser tests"). Chromium runs
 * without its sandbox: playwright-core passes `--no-sandbox` unless told `chromiumSandbox: true` (as root the sandbox
 * cannot start, and Ubuntu 24.04's AppArmor refuses it the user namespaces it needs), and it is also given here as
 * root. Each launch gets a fresh profile: Playwright creates a new temporary
 * user-data-dir per launch (and refuses a `--user-data-dir` argument), and removes it on close.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import puppeteer, { type Browser as BidiBrowser } from "puppeteer-core";

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

export const FIREFOX = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

/**
 * Headless Firefox with a fresh profile (puppeteer-core makes one per launch, with its preferences that turn off
 * Firefox's own connections: updates, telemetry, safe browsing), removed on close.
 */
export async function launchFirefox(): Promise<BidiBrowser> {
  if (!existsSync(FIREFOX)) {
    throw new Error(`Firefox is not installed at ${FIREFOX}. Fix: apt-get install -y firefox-esr (listed in .ci/apt-packages.txt), or set FIREFOX_PATH.`);
  }
  return puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true, timeout: 60_000 });
}
