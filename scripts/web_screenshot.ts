/**
 * Screenshots of the web app for docs/ (docs/web_app.png, docs/web_app_video.png):
 *
 *   npx tsx scripts/web_screenshot.ts --model <folder from stereodepth export> --image <png/jpg> [--video <mp4/webm>] [--out docs/web_app.png]
 *
 * Serves the app on 127.0.0.1, opens it in headless Chromium at 1280x800, picks the image, points at the depth map's
 * centre (so the metric readout shows) and saves the page; with --video also plays the video for a few seconds and saves
 * <out>_video.png (the frame rate is then the live loop's).
 */
import { parseArgs } from 'node:util';

import { findChromium, launchChromium } from '../examples/web/tools/chromium.js';
import { serveWebApp } from '../examples/web/tools/server.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, image: { type: 'string' }, video: { type: 'string' }, out: { type: 'string', default: 'docs/web_app.png' } } });
if (!values.model || !values.image) {
  process.stderr.write('usage: npx tsx scripts/web_screenshot.ts --model <export folder> --image <file> [--video <file>] [--out docs/web_app.png]\n');
  process.exit(2);
}
const chromium = findChromium();
if ('reason' in chromium) {
  process.stderr.write(`web_screenshot: ${chromium.reason}\n`);
  process.exit(1);
}
const server = await serveWebApp({ modelDir: values.model });
const browser = await launchChromium(chromium.path);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(server.url);
  await page.evaluate('window.stereodepthApp.ready');
  const pointAt = async (u: number, v: number): Promise<void> => {
    const box = (await page.locator('#depth-view').boundingBox())!;
    await page.locator('#depth-view').hover({ position: { x: box.width * u, y: box.height * v } });
  };
  await page.setInputFiles('#image-file', values.image);
  await page.waitForFunction('window.stereodepthApp.frames > 0', undefined, { timeout: 120_000 });
  await pointAt(0.45, 0.8);
  await page.screenshot({ path: values.out });
  process.stdout.write(`web_screenshot: ${values.out}\n`);
  if (values.video) {
    const frames = await page.evaluate('window.stereodepthApp.frames') as number;
    await page.setInputFiles('#video-file', values.video);
    await page.waitForFunction(`window.stereodepthApp.frames > ${frames + 20}`, undefined, { timeout: 120_000 });
    await pointAt(0.45, 0.8);
    const out = values.out.replace(/\.png$/, '_video.png');
    await page.screenshot({ path: out });
    process.stdout.write(`web_screenshot: ${out}\n`);
  }
} finally {
  await browser.close();
  await server.close();
}
