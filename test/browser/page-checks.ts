/**
 * What the browser tests do on every page: open it at a viewport, wait for what it must show,
 * photograph it, and hand back what went wrong in it (console errors, CSP violations, failed
 * requests); and the moment something first appears in a page, seen from inside the page.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS_DIR, pageProblems, screenshot, type Chromium, type ViewportName, type WatchedPage } from './chromium.js';

/**
 * Opens `url` in a new context at `viewport`, runs `check` on it, photographs it and asserts it
 * ran clean: no problem but those `expected` matches (e.g. the console's line for a 404 the test
 * asked for).
 */
export async function onPage(
  chromium: Chromium,
  url: string,
  name: string,
  viewport: ViewportName,
  check: (page: Page, w: WatchedPage) => Promise<void>,
  expected?: RegExp,
): Promise<void> {
  const w = await chromium.open(viewport);
  try {
    await w.page.goto(url, { waitUntil: 'domcontentloaded' });
    try {
      await check(w.page, w);
    } catch (err) {
      // what the page looked like and what went wrong in it, next to the failure
      await screenshot(w.page, `${name}-FAILED`, viewport).catch(() => undefined);
      const seen = await pageProblems(w);
      if (err instanceof Error && seen.length > 0) err.message += `\npage problems:\n  ${seen.join('\n  ')}`;
      throw err;
    }
    await screenshot(w.page, name, viewport);
    rmSync(join(ARTIFACTS_DIR, `${name}-FAILED-${viewport}.png`), { force: true }); // an earlier run's
    const problems = (await pageProblems(w)).filter((p) => !expected?.test(p));
    assert.deepEqual(problems, [], `${name} (${viewport}) ran with problems`);
  } finally {
    await w.close();
  }
}

/** The visible texts of the elements `selector` matches, trimmed. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allInnerTexts()).map((t) => t.trim());
}

/** The values of attribute `name` of the elements `selector` (a CSS selector or a locator) matches. */
export async function attributes(page: Page, selector: string | Locator, name: string): Promise<string[]> {
  const locator = typeof selector === 'string' ? page.locator(selector) : selector;
  return locator.evaluateAll(
    (els: Array<{ getAttribute(n: string): string | null }>, n: string) => els.map((e) => e.getAttribute(n) ?? ''),
    name,
  );
}

/**
 * Starts watching the page for an element matching `selector` whose text contains `text`;
 * the promise resolves with the wall-clock time (epoch ms, the page's clock: this machine's)
 * at which it first appeared, seen by a MutationObserver inside the page, or rejects after
 * `timeoutMs`.
 */
export function appearance(page: Page, selector: string, text: string, timeoutMs: number): Promise<number> {
  const args = JSON.stringify({ selector, text, timeoutMs });
  return page.evaluate<number>(`(({ selector, text, timeoutMs }) =>
    new Promise((resolve, reject) => {
      const now = () => performance.timeOrigin + performance.now();
      const seen = () => [...document.querySelectorAll(selector)].some((e) => (e.textContent ?? '').includes(text));
      if (seen()) return resolve(now());
      const observer = new MutationObserver(() => {
        if (!seen()) return;
        observer.disconnect();
        clearTimeout(timer);
        resolve(now());
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      const timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error('no ' + selector + ' containing ' + JSON.stringify(text) + ' within ' + timeoutMs + ' ms'));
      }, timeoutMs);
    }))(${args})`);
}

/**
 * What sticks out sideways at the page's viewport: the page itself when it scrolls sideways
 * (`scrollWidth` wider than `innerWidth`), and, for each element `cardSelector` matches, every
 * element or run of text inside it whose box reaches past the card's left or right edge (a long
 * key ID, digest or GUN that neither wraps nor is cut). Empty when everything fits.
 */
export async function sidewaysOverflow(page: Page, cardSelector: string): Promise<string[]> {
  return page.evaluate<string[]>(`((cardSelector) => {
    const out = [];
    const root = document.documentElement;
    if (root.scrollWidth > innerWidth) out.push('the page scrolls sideways: ' + root.scrollWidth + ' px wide in ' + innerWidth + ' px');
    const name = (n) => {
      const e = n.nodeType === Node.TEXT_NODE ? n.parentElement : n;
      const id = e.getAttribute('data-testid') ? '[data-testid=' + e.getAttribute('data-testid') + ']' : '';
      const cls = typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
      return e.tagName.toLowerCase() + id + cls + ' "' + (n.textContent || '').trim().slice(0, 60) + '"';
    };
    const hidden = (e, card) => {
      for (; e && e !== card; e = e.parentElement) {
        const r = e.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) return true;
      }
      return false;
    };
    for (const card of document.querySelectorAll(cardSelector)) {
      const edge = card.getBoundingClientRect();
      if (edge.width === 0) continue;
      const walker = document.createTreeWalker(card, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        let box;
        if (n.nodeType === Node.TEXT_NODE) {
          if (!n.textContent.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(n);
          box = range.getBoundingClientRect();
        } else {
          box = n.getBoundingClientRect();
        }
        // hidden, or inside what is visually hidden for screen readers (1 px, clipped)
        if (box.width <= 1 || box.height <= 1 || hidden(n.nodeType === Node.TEXT_NODE ? n.parentElement : n, card)) continue;
        if (box.left < edge.left - 0.5 || box.right > edge.right + 0.5) {
          out.push(name(n) + ' reaches ' + Math.round(box.left) + '..' + Math.round(box.right) + ' px, outside ' + name(card) + ' at ' + Math.round(edge.left) + '..' + Math.round(edge.right) + ' px');
        }
      }
    }
    return out;
  })(${JSON.stringify(cardSelector)})`);
}
