/**
 * End-to-end: the standard-format exports (`stereodepth export --format tfjs`) in the web app in headless Chromium.
 * A tiny random-initialised ResNet18 depth net is exported as a TF.js graph model, the app loads it with
 * tfjs-converter's loadGraphModel (picked by ?model=), a fixed PNG is picked through the page's file input, and the
 * page's metric depth is compared with the checkpoint's own prediction in Node (depthForward, the tfjs code predict
 * uses) on the same file: max abs diff <= 1e-4 of the depth range (issue 14). Skips, saying why, without Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findChromium } from '../../examples/web/tools/chromium.js';
import { serveWebApp, type WebAppServer } from '../../examples/web/tools/server.js';
import { initBackend } from '../../src/backend/index.js';
import { lossSchema, modelSchema } from '../../src/config/schema.js';
import { depthForward, type DepthGraphOptions } from '../../src/export/depth_graph.js';
import { exportModels } from '../../src/export/export_models.js';
import { rgbToNetInput } from '../../src/infer/predict.js';
import { readRgb, writeRgb } from '../../src/io/image.js';
import type { OutputConvention } from '../../src/models/output_convention.js';
import { modelFromConfig } from '../../src/run/build.js';
import { depthAgreement, fixedImage, inPage, openApp, pageDepthAfterPicking } from './web_page.js';

const chromium = findChromium();
if ('reason' in chromium) console.warn(`test/web/graph_model.test.ts skipped: ${chromium.reason}`);

const NET = { height: 64, width: 96 };

describe.skipIf('reason' in chromium)('exported graph models in the web app (headless Chromium)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: WebAppServer;
  let browser: Browser | undefined;
  let expected: Float32Array;
  const convention: OutputConvention = {
    convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, trainingBaseline: null,
    inputHeight: NET.height, inputWidth: NET.width, rig: { baseline: 0.54, focalOverWidth: 0.58 },
  };
  const graph: DepthGraphOptions & { convention: OutputConvention } = { net: NET, output: 'depth', convention };

  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'sd-web-graph-'));
    const net = modelFromConfig(modelSchema.parse({ num_ch_dec: [8, 16, 32, 64, 128], seed: 5 }), lossSchema.parse({}), 0);
    try {
      await exportModels({ net, modelName: 'monodepth2_resnet18', graph, formats: ['tfjs', 'onnx'], outDir: join(dir, 'export') });
      await writeRgb(join(dir, 'input.png'), fixedImage());
      // the checkpoint's own prediction of the file, with the resize the page does too
      const x = rgbToNetInput(await readRgb(join(dir, 'input.png')), NET.height, NET.width);
      const depth = depthForward(net, graph)(x);
      expected = Float32Array.from(await depth.data());
      tf.dispose([x, depth]);
    } finally {
      net.dispose();
    }
    server = await serveWebApp({ modelDir: join(dir, 'export') });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function pageDepth(option: string): Promise<{ page: Page; depth: number[]; pageErrors: string[] }> {
    await browser?.close();
    let page: Page;
    let pageErrors: string[];
    ({ browser, page, pageErrors } = await openApp((chromium as { path: string }).path, server, `?model=${option}`));
    expect(await inPage<string>(page, 'window.stereodepthApp.model')).toBe(option);
    const got = await pageDepthAfterPicking(page, join(dir, 'input.png'), 0);
    expect([got.height, got.width, got.units]).toEqual([NET.height, NET.width, 'm']);
    return { page, depth: got.depth, pageErrors };
  }

  it('the float32 TF.js graph model (loadGraphModel, tfjs wasm) reproduces the checkpoint: max abs diff <= 1e-4 of the depth range', async () => {
    const { page, depth, pageErrors } = await pageDepth('graph:tfjs/model.json');
    expect(await page.textContent('#model-info')).toMatch(/loadGraphModel.*tfjs backend wasm/);
    const { maxDiff, lo, hi } = depthAgreement(depth, expected);
    console.log(`web app graph model (tfjs wasm) vs checkpoint in Node: max |depth diff| = ${maxDiff.toExponential(2)} m over a depth range of ${(hi - lo).toFixed(4)} m (${lo.toFixed(4)}..${hi.toFixed(4)} m)`);
    expect(hi - lo).toBeGreaterThan(1e-3);
    expect(maxDiff).toBeLessThanOrEqual(1e-4 * (hi - lo));
    expect(pageErrors).toEqual([]);
  });
});
