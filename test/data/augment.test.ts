import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import {
  AUGMENT_RNG_CALLS, MONODEPTH2_AUGMENTATION, MONODEPTH_AUGMENTATION, NO_AUGMENTATION, adjustHue, augmentCamera, augmentSample,
  colourJitterV1, colourJitterV2, disposeAugmentedSample, drawAugmentation, rgbToHsv,
  type AugmentConfig, type AugmentDraw, type AugmentedSample, type ColourDraw,
} from '../../src/data/augment.js';
import { renderStereoPair } from '../../src/data/synthetic/render.js';
import { kittiRig } from '../../src/data/synthetic/scene.js';
import { makeStreetScene } from '../../src/data/synthetic/worlds.js';
import type { FloatMap, RgbImage, StereoSample } from '../../src/data/types.js';
import { bilinearSampler1dH } from '../../src/geometry/sampler.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const cfgWith = (base: AugmentConfig, patch: { flip?: Partial<AugmentConfig['flip']>; colour?: Partial<AugmentConfig['colour']>; crop?: Partial<AugmentConfig['crop']> }): AugmentConfig => ({
  flip: { ...base.flip, ...patch.flip },
  colour: { ...structuredClone(base.colour), ...patch.colour },
  crop: { ...base.crop, ...patch.crop },
});

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = values(a);
  const y = values(b);
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

function randomImage(rng: Rng, width: number, height: number): RgbImage {
  return { data: Uint8Array.from({ length: width * height * 3 }, () => rng.int(0, 256)), width, height, channels: 3 };
}

function cameraFor(width: number, height: number, baseline: number): StereoSample['camera'] {
  const K = [0.58 * width, 0, 0.5 * width - 0.3, 0, 1.92 * height, 0.5 * height + 0.2, 0, 0, 1];
  return { K, width, height, focal: K[0]!, baseline };
}

// ---------------------------------------------------------------------------------------------------------------------
// The geometry proof on a rendered pair with exact GT depth.

const RIG = kittiRig(192, 64);

interface RenderedSample {
  sample: StereoSample;
  /** GT depth of the right view, to build the mirrored sample a swap flip must equal. */
  rightDepth: FloatMap;
}

function renderSample(seed: string): RenderedSample {
  const scene = makeStreetScene(new Rng(seed), { cameraHeight: 1.65, driveLength: 8, style: 'kitti' });
  const p = renderStereoPair(scene, RIG, { supersample: 4 });
  const K = [RIG.fx, 0, RIG.cx, 0, RIG.fy, RIG.cy, 0, 0, 1];
  return {
    sample: { id: seed, left: p.left, right: p.right, camera: { K, width: RIG.width, height: RIG.height, focal: RIG.fx, baseline: RIG.baseline }, gtDepth: p.depth },
    rightDepth: p.rightDepth!,
  };
}

/** The same rig seen from the right camera: roles and baseline sign exchanged, GT of the right view. */
function mirrored(r: RenderedSample): StereoSample {
  const s = r.sample;
  return { id: `${s.id}:mirrored`, left: s.right!, right: s.left, camera: { ...s.camera, baseline: -s.camera.baseline }, gtDepth: r.rightDepth };
}

/**
 * Warps the augmented right view onto the left one with the pixel disparity focal * baseline / depth (signed: x_right =
 * u - focal * baseline / depth) and returns the mean abs error over valid pixels: GT depth > 0, the source inside the
 * image, no depth edge within 2 px (resampling mixes colours there) and not occluded in the right view (no pixel of the
 * row with a clearly larger disparity lands within 1.5 px of the same right-view position).
 */
function warpError(a: AugmentedSample, depth: Float32Array, focal: number): { mae: number; used: number } {
  const [H, W] = a.left.shape;
  const shift = new Float32Array(H * W); // x_right - u
  for (let i = 0; i < shift.length; i++) shift[i] = depth[i]! > 0 ? (-focal * a.baseline) / depth[i]! : 0;
  const warped = tf.tidy(() =>
    bilinearSampler1dH(tf.expandDims(a.right!, 0) as tf.Tensor4D, tf.tensor4d(shift.map((s) => s / W), [1, H, W, 1]), 'edge'),
  );
  const w = values(warped);
  const l = values(a.left);
  warped.dispose();
  let sum = 0;
  let used = 0;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const i = v * W + u;
      const z = depth[i]!;
      const xr = u + shift[i]!;
      if (z <= 0 || xr < 0 || xr > W - 1) continue;
      let edge = false;
      for (let dv = -2; dv <= 2 && !edge; dv++) {
        for (let du = -2; du <= 2 && !edge; du++) {
          const vv = v + dv;
          const uu = u + du;
          if (vv < 0 || vv >= H || uu < 0 || uu >= W) continue;
          const zz = depth[vv * W + uu]!;
          edge = zz <= 0 || Math.abs(zz - z) > 0.03 * z;
        }
      }
      if (edge) continue;
      let occluded = false;
      const d = Math.abs(shift[i]!);
      for (let u2 = 0; u2 < W && !occluded; u2++) {
        const j = v * W + u2;
        occluded = depth[j]! > 0 && Math.abs(shift[j]!) > 1.02 * d && Math.abs(u2 + shift[j]! - xr) < 1.5;
      }
      if (occluded) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(w[i * 3 + c]! - l[i * 3 + c]!);
      used++;
    }
  }
  return { mae: sum / (3 * used), used };
}

describe('augmentation geometry (rendered pair, exact GT depth)', () => {
  const CROP: AugmentConfig = cfgWith(NO_AUGMENTATION, { crop: { probability: 1, minScale: 0.4, maxScale: 0.65 } });
  const OUT = { width: RIG.width, height: RIG.height };

  it('warping the augmented right view by focal*baseline/depth rebuilds the augmented left view, and fails if K is not updated', () => {
    const rendered = ['geo-a', 'geo-b'].map(renderSample);
    const rng = new Rng('geometry');
    for (const r of rendered) {
      for (const mode of ['negate_baseline', 'swap'] as const) {
        for (const flip of [false, true]) {
          const cfg = cfgWith(CROP, { flip: { probability: 0, mode } });
          const draw = { ...drawAugmentation(rng, cfg, r.sample.left), flip };
          const a = augmentSample(r.sample, draw, cfg, OUT);
          let depth: Float32Array;
          if (mode === 'swap' && flip) {
            // The new left view is the flipped right camera: its GT comes from the mirrored sample flipped in place,
            // which must give the very same images, K and baseline.
            expect(a.gtDepth).toBeUndefined();
            const m = augmentSample(mirrored(r), draw, cfgWith(cfg, { flip: { mode: 'negate_baseline' } }), OUT);
            expect(maxAbsDiff(m.left, a.left)).toBe(0);
            expect(maxAbsDiff(m.right!, a.right!)).toBe(0);
            expect(m.K).toEqual(a.K);
            expect(m.baseline).toBe(a.baseline);
            depth = values(m.gtDepth!).slice();
            disposeAugmentedSample(m);
          } else {
            depth = values(a.gtDepth!).slice();
          }
          expect(a.baseline).toBe(mode === 'negate_baseline' && flip ? -RIG.baseline : RIG.baseline);
          const good = warpError(a, depth, a.focal);
          // Control 1: K not updated for the crop (focal of a plain resize of the whole image).
          const plainFocal = (RIG.fx * OUT.width) / RIG.width;
          const stale = warpError(a, depth, plainFocal);
          // Control 2: the baseline sign not negated by the flip (warp from the wrong side).
          const wrongSide = warpError({ ...a, baseline: -a.baseline }, depth, a.focal);
          // Measured (wasm): mae 0.0037-0.0065 on 2400-6300 pixels, stale K 0.025-0.037, wrong side 0.049-0.115.
          expect(good.used).toBeGreaterThan(0.15 * OUT.width * OUT.height);
          expect(good.mae).toBeLessThan(0.01);
          expect(stale.mae).toBeGreaterThan(3 * good.mae);
          expect(wrongSide.mae).toBeGreaterThan(3 * good.mae);
          disposeAugmentedSample(a);
        }
      }
    }
  });

  it('a plain resize (no crop) to another size keeps the geometry exact with K scaled, and not with the source K', () => {
    const r = renderSample('geo-a');
    const out = { width: 144, height: 48 };
    for (const flip of [false, true]) {
      const a = augmentSample(r.sample, { flip, crop: null, colour: null }, MONODEPTH2_AUGMENTATION, out);
      expect(a.zoom).toBe(1);
      expect(a.focal).toBeCloseTo((RIG.fx * 144) / 192, 10);
      const depth = values(a.gtDepth!).slice();
      const good = warpError(a, depth, a.focal);
      const stale = warpError(a, depth, RIG.fx);
      // Measured (wasm): mae 0.0045 on 962 pixels; with the unscaled source K 0.0155.
      expect(good.used).toBeGreaterThan(0.1 * out.width * out.height);
      expect(good.mae).toBeLessThan(0.01);
      expect(stale.mae).toBeGreaterThan(3 * good.mae);
      disposeAugmentedSample(a);
    }
  });
});
