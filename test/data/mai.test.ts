/**
 * The MAI 2021 layout adapter (`dataset: mai`) and `synth --world mai`: RGB + 16-bit depth PNG in millimetres (0 = invalid),
 * samples listed from `rgb/` or from a split, errors that name the files.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { MaiDataset, maiDepthPath } from '../../src/data/mai.js';
import { createDataset } from '../../src/data/registry.js';
import { depthToMaiMillimetres, MAI_MAX_DEPTH_M } from '../../src/data/synthetic/mai_layout.js';
import { generateWorld } from '../../src/data/synthetic/writer.js';
import { readPng16, writePng16, writeRgb } from '../../src/io/image.js';
import { repoRoot } from '../helpers/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sd-mai-'));

async function writePair(dir: string, name: string, w: number, h: number, depthMm: number[], depthSize = { w, h }): Promise<void> {
  mkdirSync(join(dir, 'rgb'), { recursive: true });
  mkdirSync(join(dir, 'depth'), { recursive: true });
  await writeRgb(join(dir, 'rgb', `${name}.png`), { data: new Uint8Array(w * h * 3).fill(90), width: w, height: h, channels: 3 });
  await writePng16(join(dir, 'depth', `${name}.png`), { data: Uint16Array.from(depthMm), width: depthSize.w, height: depthSize.h });
}

describe('MAI layout adapter', () => {
  it('lists rgb/ sorted without a split, reads depth in mm as metres with 0 kept invalid', async () => {
    const dir = join(root, 'plain');
    await writePair(dir, 'b', 2, 1, [1500, 0]);
    await writePair(dir, 'a', 2, 1, [400, 65535]);
    const ds = await createDataset('mai', { path: dir, options: {} });
    expect(ds.length).toBe(2);
    const s = await ds.get(0);
    expect(s.id).toBe('rgb/a.png');
    expect(Array.from(s.gtDepth!.data)).toEqual([0.4, 65.535].map(Math.fround));
    expect(Array.from((await ds.get(1)).gtDepth!.data)).toEqual([1.5, 0]);
    expect(s.right).toBeUndefined();
    expect(s.camera.focal).toBe(1); // default focalFraction 0.5 x width 2
  });

  it('takes a split of RGB paths and the adapter options; errors name the files', async () => {
    const dir = join(root, 'split');
    await writePair(join(dir, 'train'), 'x', 2, 2, [1, 2, 3, 4]);
    await writePair(join(dir, 'train'), 'bad', 2, 2, [1, 2], { w: 2, h: 1 });
    const ds = new MaiDataset({ dataPath: dir, split: { lines: ['train/rgb/x.png', 'train/rgb/bad.png', 'train/x.png'] }, depthScale: 1, focalFraction: 2 });
    const s = await ds.get(0);
    expect(Array.from(s.gtDepth!.data)).toEqual([1, 2, 3, 4]);
    expect(s.camera.focal).toBe(4);
    await expect(ds.get(1)).rejects.toThrow(/depth is 2x1 but the RGB image .*bad\.png is 2x2/);
    await expect(ds.get(2)).rejects.toThrow(/not inside an 'rgb' folder/);
    expect(maiDepthPath('/d/validation/rgb/0001.jpg')).toBe('/d/validation/depth/0001.png');
    await expect(createDataset('mai', { path: join(root, 'absent'), options: {} })).rejects.toThrow(/no 'rgb' folder under/);
    await expect(createDataset('mai', { path: dir, options: { focal: 1 } })).rejects.toThrow(/options/);
  });

  it('reads other RGB-D folders by name (rgbFolder / depthFolder); a path instead of a name is refused', async () => {
    const dir = join(root, 'named');
    mkdirSync(join(dir, 'images'), { recursive: true });
    mkdirSync(join(dir, 'annotations'), { recursive: true });
    await writeRgb(join(dir, 'images', 'k.jpg'), { data: new Uint8Array(2 * 2 * 3).fill(90), width: 2, height: 2, channels: 3 });
    await writePng16(join(dir, 'annotations', 'k.png'), { data: Uint16Array.from([1000, 0, 2500, 65535]), width: 2, height: 2 });
    const ds = await createDataset('mai', { path: dir, options: { rgbFolder: 'images', depthFolder: 'annotations' } });
    expect(ds.length).toBe(1);
    expect(Array.from((await ds.get(0)).gtDepth!.data)).toEqual([1, 0, 2.5, 65.535].map(Math.fround));
    await expect(createDataset('mai', { path: dir, options: {} })).rejects.toThrow(/no 'rgb' folder under .*rgbFolder/);
    await expect(createDataset('mai', { path: dir, options: { rgbFolder: 'a/images' } })).rejects.toThrow(/rgbFolder.*a folder name/s);
  });

  // The one real RGB-D pair reachable here: an NYU Depth v2 frame as mmsegmentation's tests keep it (160x120 JPEG,
  // 16-bit PNG in mm, 0 = invalid), in ../shared/data only (NYU has no redistribution licence; not in test/fixtures).
  const nyuReal = join(repoRoot, '..', 'shared', 'data', 'nyu_v2');
  it.skipIf(!existsSync(nyuReal))('reads a real NYUv2 RGB-D pair in that layout (skipped: ../shared/data/nyu_v2 absent)', async () => {
    const ds = await createDataset('mai', { path: nyuReal, options: { rgbFolder: 'images', depthFolder: 'annotations', focalFraction: 518.8579 / 640 } });
    expect(ds.length).toBe(1);
    const s = await ds.get(0);
    expect(s.id).toBe('images/bookstore_0001d_00001.jpg');
    expect([s.left.width, s.left.height, s.gtDepth!.width, s.gtDepth!.height]).toEqual([160, 120, 160, 120]);
    const d = Array.from(s.gtDepth!.data);
    const valid = d.filter((v) => v > 0);
    // README of ../shared/data: max 10000 mm, 34 % zeros; indoor depths in metres.
    expect(Math.max(...d)).toBeCloseTo(10, 5);
    expect(1 - valid.length / d.length).toBeGreaterThan(0.3);
    expect(1 - valid.length / d.length).toBeLessThan(0.4);
    expect(Math.min(...valid)).toBeGreaterThan(0.3);
    expect(s.camera.focal).toBeCloseTo(518.8579 / 4, 3);
  });

  it('synth --world mai writes the layout: same-name RGB and mm depth per subset, 0 beyond the 50 m range, split lists', async () => {
    const out = join(root, 'synth');
    const m = await generateWorld({ world: 'mai', out, count: 24, height: 24, width: 32, seed: '0', framesPerScene: 8, progress: false });
    expect(m.world).toBe('mai');
    const test = readFileSync(join(out, 'splits/synthetic/test_files.txt'), 'utf8').trim().split('\n');
    expect(test[0]).toMatch(/^test\/rgb\/scene_0002_0000\.png$/);
    const val = readFileSync(join(out, 'splits/synthetic/val_files.txt'), 'utf8').trim().split('\n');
    expect(val[0]).toMatch(/^validation\/rgb\//);
    const ds = await createDataset('mai', { path: out, split: { file: join(out, 'splits/synthetic/train_files.txt') }, options: {} });
    const s = await ds.get(0);
    const png = await readPng16(join(out, 'train/depth/scene_0000_0000.png'));
    expect(png.data.length).toBe(24 * 32);
    const valid = Array.from(s.gtDepth!.data).filter((d) => d > 0);
    expect(valid.length).toBeGreaterThan(0);
    expect(Math.max(...valid)).toBeLessThanOrEqual(MAI_MAX_DEPTH_M);
    expect(Array.from(depthToMaiMillimetres(Float32Array.from([0, 1.2345, 50, 50.01])))).toEqual([0, 1235, 50000, 0]);
  });
});
