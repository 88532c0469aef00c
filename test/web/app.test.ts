/**
 * End-to-end: the web app in headless Chromium (Debian's chromium, never a downloaded browser) against Node. A tiny
 * random-initialised network is exported, the app is served on 127.0.0.1, a fixed PNG is picked through the page's file
 * input, and the depth the page computed is compared with Node's prediction of the same file (same resize, same
 * output convention). The whole suite skips, saying why, when no Chromium can be found or installed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findChromium } from '../../examples/web/tools/chromium.js';
import { serveWebApp, type WebAppServer } from '../../examples/web/tools/server.js';
import { initBackend } from '../../src/backend/index.js';
import { lossSchema, modelSchema } from '../../src/config/schema.js';
import { exportDepthNet, loadExportedModel } from '../../src/infer/export.js';
import { predictDisparity, rgbToNetInput } from '../../src/infer/predict.js';
import { readRgb, writeRgb } from '../../src/io/image.js';
import { metricDepth, type OutputConvention } from '../../src/models/output_convention.js';
import { modelFromConfig } from '../../src/run/build.js';
import { LAST_DEPTH, depthAgreement, fixedImage, inPage, openApp, pageDepthAfterPicking, type PageDepth } from './web_page.js';

const chromium = findChromium();
if ('reason' in chromium) console.warn(`test/web/app.test.ts skipped: ${chromium.reason}`);

const NET = { height: 64, width: 96 };

/** Node's metric depth of an image file through the exported model: the library's own path. */
async function nodeDepth(modelDir: string, imagePath: string): Promise<Float32Array> {
  const { net, output } = await loadExportedModel(modelDir);
  try {
    const x = rgbToNetInput(await readRgb(imagePath), output.inputHeight, output.inputWidth);
    const depth = tf.tidy(() => metricDepth(predictDisparity(net, x, { postProcess: false }), output));
    x.dispose();
    const values = (await depth.data()) as Float32Array;
    depth.dispose();
    return values;
  } finally {
    net.dispose();
  }
}

describe.skipIf('reason' in chromium)('web app in headless Chromium', () => {
  let dir: string;
  let server: WebAppServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const output: OutputConvention = {
    convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: null,
    inputHeight: NET.height, inputWidth: NET.width, rig: { baseline: 0.54, focalOverWidth: 0.58 },
  };

  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'sd-web-'));
    const model = modelSchema.parse({ num_ch_dec: [8, 16, 32, 64, 128], seed: 5 });
    const net = modelFromConfig(model, lossSchema.parse({}), 0);
    await exportDepthNet(net, join(dir, 'model'), { model, lossKind: 'monodepth2', output });
    net.dispose();
    await writeRgb(join(dir, 'input.png'), fixedImage());
    server = await serveWebApp({ modelDir: join(dir, 'model') });
    ({ browser, page, pageErrors } = await openApp((chromium as { path: string }).path, server));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the exported model with the stereodepth/web entry on the tfjs wasm backend', async () => {
    const state = await inPage<{ model: string; backend: string; status: string }>(page,
      "({ model: window.stereodepthApp.model, backend: window.stereodepthApp.backend, status: document.getElementById('status').textContent })");
    expect(state.backend).toBe('wasm');
    expect(state.model).toMatch(/^depthnet:model\.json$/);
    expect(state.status).toMatch(/^ready: 96x64 net/);
    expect(pageErrors).toEqual([]);
  });

  it.each(['wasm', 'cpu'])("gives the same metric depth as Node (wasm) for the same image file on the page's %s backend (max abs diff <= 1e-4 of the depth range)", async (backend) => {
    const expected = await nodeDepth(join(dir, 'model'), join(dir, 'input.png'));
    const framesBefore = await inPage<number>(page, 'window.stereodepthApp.frames');
    let got: PageDepth;
    if (backend === 'wasm') got = await pageDepthAfterPicking(page, join(dir, 'input.png'), framesBefore);
    else {
      // switching the backend reloads the model and predicts the picture on screen again
      await page.selectOption('#backend', backend);
      await page.waitForFunction(`window.stereodepthApp.backend === '${backend}' && window.stereodepthApp.frames > ${framesBefore}`, undefined, { timeout: 90_000 });
      got = await inPage<PageDepth>(page, LAST_DEPTH);
    }
    expect([got.height, got.width, got.units]).toEqual([NET.height, NET.width, 'm']);
    const { maxDiff, lo, hi } = depthAgreement(got.depth, expected);
    console.log(`web app (${backend}) vs Node (wasm): max |depth diff| = ${maxDiff.toExponential(2)} m over a depth range of ${(hi - lo).toFixed(4)} m (${lo.toFixed(4)}..${hi.toFixed(4)} m, ${NET.width}x${NET.height})`);
    // a random-init net's depth varies over the image: a constant map would make the comparison meaningless
    expect(hi - lo).toBeGreaterThan(1e-3);
    expect(maxDiff).toBeLessThanOrEqual(1e-4 * (hi - lo));
  });

  it('shows the depth under the pointer, the frame rate and the colour map', async () => {
    const box = (await page.locator('#depth-view').boundingBox())!;
    await page.locator('#depth-view').hover({ position: { x: box.width * 0.5 + 1, y: box.height * 0.5 + 1 } });
    const last = await inPage<PageDepth>(page, LAST_DEPTH);
    const centre = last.depth[Math.floor(NET.height / 2) * NET.width + Math.floor(NET.width / 2)]!;
    await expect.poll(() => page.textContent('#readout')).toContain(`${centre.toFixed(2)} m at net pixel (48, 32)`);
    expect(await page.textContent('#fps')).toMatch(/^\d+(\.\d+)? frames\/s$/);
    // the depth canvas is coloured (magma), not blank: its pixels vary
    const spread = await inPage<number>(page, `(() => {
      const c = document.getElementById('depth-view');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let lo = 255, hi = 0;
      for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
      return hi - lo; })()`);
    expect(spread).toBeGreaterThan(50);
    const shot = join(dir, 'page.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
