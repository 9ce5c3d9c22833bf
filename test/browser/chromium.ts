/**
 * Headless Chromium for the dashboard's browser tests and bench: Debian's `chromium` (the
 * binary the `chromium` package installs; `DCT_CHROMIUM` names another) driven by
 * playwright-core over the DevTools protocol, with the flags that work as root on a closed
 * network, a fresh profile per launch, and the server's self-signed certificate accepted.
 *
 * Every page is watched: console errors, uncaught page errors, Content-Security-Policy
 * violations (the `securitypolicyviolation` event, reported from inside the page) and failed
 * requests are collected, so a test can assert the page ran clean.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../support/fixtures.js';

/** The browser binary: Debian's launcher script, or `DCT_CHROMIUM`. */
export const CHROMIUM = process.env['DCT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = join(PROJECT_ROOT, 'test-artifacts', 'browser');

/** Desktop and phone widths every page is photographed at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  narrow: { width: 375, height: 812 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Why Chromium cannot be driven here (for interopSkip), or undefined. */
export async function chromiumMissing(): Promise<string | undefined> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    return `chromium not found at ${CHROMIUM} (Debian package chromium; or set DCT_CHROMIUM)`;
  }
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci)';
  }
  return undefined;
}

/** A page with what went wrong in it so far. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** console errors, page errors, CSP violations, failed requests, in order */
  problems(): string[];
  close(): Promise<void>;
}

export interface Chromium {
  browser: Browser;
  /** a new context (own cookies and storage) and page at this viewport */
  open(viewport?: ViewportName): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** Run in every page before its own scripts (a string: the tests are not compiled with the DOM's types). */
const CSP_WATCH = `
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')');
  });
`;

export async function launchChromium(): Promise<Chromium> {
  const { chromium } = await import('playwright-core');
  // playwright gives each launch a fresh temporary profile (its own --user-data-dir)
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
  const open = async (viewport: ViewportName = 'desktop'): Promise<WatchedPage> => {
    const context = await browser.newContext({ viewport: VIEWPORTS[viewport], ignoreHTTPSErrors: true, serviceWorkers: 'block' });
    await context.addInitScript(CSP_WATCH);
    const page = await context.newPage();
    const seen: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') seen.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    // the console says "Failed to load resource" without the address: this names it
    page.on('response', (r) => {
      if (r.status() >= 400) seen.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText ?? '';
      // a page navigated away from, or a stream closed with its page, is not a failure of the page
      if (!/ERR_ABORTED/.test(why)) seen.push(`request failed: ${r.method()} ${r.url()} ${why}`);
    });
    return { page, context, problems: () => seen.slice(), close: () => context.close() };
  };
  return { browser, open, close: () => browser.close() };
}

/** CSP violations the page saw (reported by the page itself); [] when the page is gone. */
export async function cspViolations(page: Page): Promise<string[]> {
  try {
    return await page.evaluate<string[]>('window.__cspViolations ?? []');
  } catch {
    return [];
  }
}

/** All problems of a watched page: its own list and the CSP violations it reported. */
export async function pageProblems(w: WatchedPage): Promise<string[]> {
  return [...w.problems(), ...(await cspViolations(w.page)).map((v) => `CSP violation: ${v}`)];
}

/** Saves a full-page screenshot as test-artifacts/browser/<name>-<viewport>.png; returns its path. */
export async function screenshot(page: Page, name: string, viewport: ViewportName): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}-${viewport}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
