/**
 * What the web app's Chromium e2e tests share: the fixed input picture, reading the page's last depth map, and the
 * comparison measure (max abs diff against Node, and the reference's depth range it is judged against).
 */
import type { Browser, Page } from 'playwright-core';

import { launchChromium } from '../../examples/web/tools/chromium.js';
import type { WebAppServer } from '../../examples/web/tools/server.js';
import { maxAbsDiff } from '../helpers/export_fixtures.js';

/** The fixed input: 80x120 (not the net's size, so the page's resize is exercised too), a smooth colourful pattern. */
export const IMAGE = { height: 80, width: 120 };

export function fixedImage(): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const data = new Uint8Array(IMAGE.width * IMAGE.height * 3);
  for (let y = 0; y < IMAGE.height; y++) {
    for (let x = 0; x < IMAGE.width; x++) {
      const i = (y * IMAGE.width + x) * 3;
      data[i] = (x * 2 + y) % 256;
      data[i + 1] = Math.round(127 + 120 * Math.sin(x / 7) * Math.cos(y / 5));
      data[i + 2] = (y * 3) % 256;
    }
  }
  return { data, width: IMAGE.width, height: IMAGE.height, channels: 3 };
}

export interface PageDepth { depth: number[]; height: number; width: number; units: string; frame: number }

/** Evaluates a page expression (strings: the test is typed for Node, the page for the DOM). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

export const LAST_DEPTH = `(() => { const l = window.stereodepthApp.last;
  return { depth: Array.from(l.depth), height: l.height, width: l.width, units: l.units, frame: l.frame }; })()`;

export async function pageDepthAfterPicking(page: Page, imagePath: string, framesBefore: number): Promise<PageDepth> {
  await page.setInputFiles('#image-file', imagePath);
  await page.waitForFunction(`window.stereodepthApp.frames > ${framesBefore}`, undefined, { timeout: 60_000 });
  return inPage<PageDepth>(page, LAST_DEPTH);
}

/** Chromium with the served app open (`query` e.g. '?model=graph:tfjs/model.json'), started; page errors collected. */
export async function openApp(chromiumPath: string, server: WebAppServer, query = ''): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const browser = await launchChromium(chromiumPath);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url + query);
  await inPage(page, 'window.stereodepthApp.ready');
  return { browser, page, pageErrors };
}

/** The page's depth against Node's: max abs diff, and the reference's range (the tolerance is a fraction of it). */
export function depthAgreement(got: ArrayLike<number>, expected: ArrayLike<number>): { maxDiff: number; lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < expected.length; i++) {
    lo = Math.min(lo, expected[i]!);
    hi = Math.max(hi, expected[i]!);
  }
  return { maxDiff: maxAbsDiff(got, expected), lo, hi };
}
