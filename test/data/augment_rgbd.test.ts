/**
 * RGB-D augmentation: the depth map moves with the image under every transform (fast-depth's scale / rotation / centre crop /
 * flip, the MAI crop), depth is divided by the magnification, and 0 (invalid) stays invalid with no mixed values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { DEFAULT_RGBD_AUGMENT, augmentRgbdSample, drawRgbdAugmentation, rgbdEvalDraw, type RgbdAugmentConfig, type RgbdDraw } from '../../src/data/augment_rgbd.js';
import { disposeAugmentedSample } from '../../src/data/augment.js';
import { renderView } from '../../src/data/synthetic/render.js';
import { nyuRig } from '../../src/data/synthetic/scene.js';
import { makeRoomScene } from '../../src/data/synthetic/worlds.js';
import type { StereoSample } from '../../src/data/types.js';
import { Rng } from '../../src/util/random.js';

const DEPTH_CODE = 25; // image R channel = round(depth * 25): the image "shows" its own depth

/** A rendered synthetic room whose image encodes its depth (R) and a validity marker (B = 255), with a hole of invalid depth. */
function depthCodedRoom(): StereoSample {
  const rig = nyuRig(80, 60);
  const view = renderView(makeRoomScene(new Rng('augment-rgbd-room')), rig, [0, 0, 0]);
  const depth = Float32Array.from(view.depth.data);
  for (let y = 20; y < 30; y++) for (let x = 30; x < 45; x++) depth[y * 80 + x] = 0; // a block of invalid GT
  const rgb = new Uint8Array(80 * 60 * 3);
  for (let i = 0; i < depth.length; i++) {
    rgb[i * 3] = Math.min(255, Math.round(depth[i]! * DEPTH_CODE));
    rgb[i * 3 + 1] = depth[i]! > 0 ? 128 : 0;
    rgb[i * 3 + 2] = 255;
  }
  return {
    id: 'room',
    left: { data: rgb, width: 80, height: 60, channels: 3 },
    camera: { K: [rig.fx, 0, rig.cx, 0, rig.fy, rig.cy, 0, 0, 1], width: 80, height: 60, focal: rig.fx, baseline: 0 },
    gtDepth: { data: depth, width: 80, height: 60 },
  };
}

function outputs(sample: StereoSample, draw: RgbdDraw, out = { height: 48, width: 48 }): { image: Float32Array; input: Float32Array; depth: Float32Array } {
  const a = augmentRgbdSample(sample, draw, out);
  const r = { image: a.left.dataSync() as Float32Array, input: a.leftInput.dataSync() as Float32Array, depth: a.gtDepth!.dataSync() as Float32Array };
  disposeAugmentedSample(a);
  return r;
}

const config = (mode: RgbdAugmentConfig['mode']): RgbdAugmentConfig => ({ ...DEFAULT_RGBD_AUGMENT, mode });

describe('RGB-D augmentation', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });
  const room = depthCodedRoom();
  const source = { width: 80, height: 60 };

  it('fast-depth: after scale, rotation, centre crop, flip and resize every pixel still shows its own depth (depth / s)', () => {
    const cfg = config('fastdepth');
    const seen = { flip: 0, rotated: 0, outside: 0 };
    for (let k = 0; k < 12; k++) {
      const draw = drawRgbdAugmentation(new Rng(`fd:${k}`), cfg, source);
      expect(draw.depthDivisor).toBeGreaterThanOrEqual(1);
      expect(draw.depthDivisor).toBeLessThanOrEqual(1.5);
      expect(Math.abs(draw.rotation)).toBeLessThanOrEqual((5 * Math.PI) / 180);
      seen.flip += draw.flip ? 1 : 0;
      seen.rotated += draw.rotation !== 0 ? 1 : 0;
      const { image, depth } = outputs(room, draw);
      for (let p = 0; p < depth.length; p++) {
        const r = Math.round(image[p * 3]! * 255), marker = Math.round(image[p * 3 + 1]! * 255), inside = image[p * 3 + 2]! > 0.5;
        if (!inside) {
          seen.outside++;
          expect(depth[p], `pixel ${p} outside the rotated source has invalid depth`).toBe(0);
        } else if (marker === 0) {
          expect(depth[p], `pixel ${p}: invalid GT stays invalid`).toBe(0);
        } else {
          expect(Math.round(depth[p]! * draw.depthDivisor * DEPTH_CODE), `pixel ${p}`).toBe(r);
        }
      }
    }
    expect(seen.flip).toBeGreaterThan(0);
    expect(seen.flip).toBeLessThan(12);
    expect(seen.rotated).toBe(12);
  });

  it('fast-depth: colour jitter touches only the network input, never the depth or the loss image', () => {
    const draw = drawRgbdAugmentation(new Rng('fd:colour'), config('fastdepth'), source);
    expect(draw.colour).not.toBeNull();
    const jittered = outputs(room, draw);
    const plain = outputs(room, { ...draw, colour: null });
    expect(jittered.depth).toEqual(plain.depth);
    expect(jittered.image).toEqual(plain.image);
    expect(jittered.input).not.toEqual(plain.input);
  });

  it("fast-depth's val transform: centre crop 228/250 x 304/333.3 of the frame, no scale, rotation or flip", () => {
    const draw = rgbdEvalDraw(config('fastdepth'), { width: 640, height: 480 });
    expect(draw.window.height).toBeCloseTo(480 * (228 / 250), 6);
    expect(draw.window.width).toBeCloseTo(304 * (480 / 250), 6);
    expect(draw.window.x).toBeCloseTo((640 - 304 * (480 / 250)) / 2, 6);
    expect([draw.rotation, draw.flip, draw.depthDivisor]).toEqual([0, false, 1]);
  });

  it('MAI crop: the window is magnified and depth divided by the magnification; bilinear RGB agrees with the depth', () => {
    const cfg: RgbdAugmentConfig = { ...config('mai_crop'), maiCrop: { probability: 1, minScale: 0.5, maxScale: 0.9, flipProbability: 0.5 } };
    for (let k = 0; k < 8; k++) {
      const draw = drawRgbdAugmentation(new Rng(`mai:${k}`), cfg, source);
      const zoom = source.width / draw.window.width;
      expect(draw.depthDivisor).toBeCloseTo(zoom, 9);
      expect(draw.window.x).toBeGreaterThanOrEqual(0);
      expect(draw.window.x + draw.window.width).toBeLessThanOrEqual(80 + 1e-9);
      const { image, depth } = outputs(room, draw);
      const sourceValues = new Set(Array.from(room.gtDepth!.data, (d) => Math.fround(d / zoom)));
      let agreeing = 0;
      let checked = 0;
      for (let p = 0; p < depth.length; p++) {
        // Nearest-only depth: every output value is a source value / zoom, or 0 — never a blend.
        expect(depth[p] === 0 || sourceValues.has(depth[p]!), `pixel ${p}: ${depth[p]} is not a source depth / ${zoom}`).toBe(true);
        if (depth[p]! > 0 && Math.abs(image[p * 3 + 1]! * 255 - 128) < 1e-3) {
          checked++;
          // The bilinear image differs from the nearest depth by at most the depth change between neighbouring pixels.
          if (Math.abs(image[p * 3]! * 255 - depth[p]! * zoom * DEPTH_CODE) <= 3) agreeing++;
        }
      }
      // All but depth edges and the hole border (the image blends across them, the depth does not).
      expect(agreeing / checked).toBeGreaterThan(0.85);
    }
  });

  it('MAI crop geometry: output pixel centres sample the window (x0 + (u + 0.5) w / W - 0.5) in image and depth alike', () => {
    // Image R = 3x, G = 4y of the source pixel; depth = 10 + x + 100 y (unique per pixel), so both can be decoded.
    const rgb = new Uint8Array(80 * 60 * 3);
    const depth = new Float32Array(80 * 60);
    for (let y = 0; y < 60; y++) for (let x = 0; x < 80; x++) {
      rgb[(y * 80 + x) * 3] = 3 * x;
      rgb[(y * 80 + x) * 3 + 1] = 4 * y;
      depth[y * 80 + x] = 10 + x + 100 * y;
    }
    const sample: StereoSample = { ...room, left: { data: rgb, width: 80, height: 60, channels: 3 }, gtDepth: { data: depth, width: 80, height: 60 } };
    const draw: RgbdDraw = { window: { x: 12, y: 6, width: 40, height: 30 }, rotation: 0, flip: true, depthDivisor: 2, imageSampling: 'bilinear', colour: null };
    const out = { height: 15, width: 20 };
    const { image, depth: d } = outputs(sample, draw, out);
    for (let v = 0; v < out.height; v++) for (let u = 0; u < out.width; u++) {
      const p = v * out.width + u;
      const xs = 12 + (out.width - 1 - u + 0.5) * 2 - 0.5, ys = 6 + (v + 0.5) * 2 - 0.5;
      expect(image[p * 3]! * 255 / 3).toBeCloseTo(xs, 3);
      expect(image[p * 3 + 1]! * 255 / 4).toBeCloseTo(ys, 3);
      const nearest = depth[Math.round(ys) * 80 + Math.round(xs)]!;
      expect(d[p]).toBeCloseTo(nearest / 2, 3);
    }
  });

  it('a flip mirrors image and depth together; the same seed gives the same draw', () => {
    const cfg = config('mai_crop');
    const a = drawRgbdAugmentation(new Rng('same'), cfg, source);
    expect(drawRgbdAugmentation(new Rng('same'), cfg, source)).toEqual(a);
    const out = { height: 32, width: 40 };
    const plain = outputs(room, { ...a, flip: false }, out);
    const flipped = outputs(room, { ...a, flip: true }, out);
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        expect(flipped.depth[y * out.width + x]).toBe(plain.depth[y * out.width + out.width - 1 - x]);
      }
    }
  });

  it('is leak-free', () => {
    const before = tf.memory().numTensors;
    const a = augmentRgbdSample(room, drawRgbdAugmentation(new Rng('leak'), config('fastdepth'), source), { height: 16, width: 16 });
    disposeAugmentedSample(a);
    expect(tf.memory().numTensors).toBe(before);
  });
});
