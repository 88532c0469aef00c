import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initBackend } from '../../src/backend/index.js';
import { augmentCamera, augmentSample, disposeAugmentedSample, type AugmentedSample } from '../../src/data/augment.js';
import { adjustHue, colourJitterV1, colourJitterV2, rgbToHsv } from '../../src/data/augment_colour.js';
import {
  AUGMENT_RNG_CALLS, MONODEPTH2_AUGMENTATION, MONODEPTH_AUGMENTATION, NO_AUGMENTATION, drawAugmentation,
  type AugmentConfig, type AugmentDraw, type ColourDraw,
} from '../../src/data/augment_config.js';
import { renderStereoPair } from '../../src/data/synthetic/render.js';
import { kittiRig } from '../../src/data/synthetic/scene.js';
import { makeStreetScene } from '../../src/data/synthetic/worlds.js';
import type { FloatMap, RgbImage, StereoSample } from '../../src/data/types.js';
import { bilinearSampler1dH } from '../../src/geometry/sampler.js';
import { testBackends } from '../helpers/backends.js';
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

// ---------------------------------------------------------------------------------------------------------------------
// Camera maths

describe('augmentCamera: K, focal, baseline, zoom', () => {
  const K = [100, 0, 50, 0, 80, 20, 0, 0, 1];
  const src = { width: 100, height: 40 };

  it('matches hand-computed crop + resize + flip (pixel centres at integers)', () => {
    const crop = { x: 10, y: 4, width: 50, height: 20 };
    const c = augmentCamera(K, 0.54, src, { flip: false, crop }, 'negate_baseline', src);
    // k = 2 both ways: fx = 200, cx = (50 - 10 + 0.5) * 2 - 0.5 = 80.5; fy = 160, cy = (20 - 4 + 0.5) * 2 - 0.5 = 32.5.
    expect(c.K).toEqual([200, 0, 80.5, 0, 160, 32.5, 0, 0, 1]);
    expect(c.zoom).toBe(2);
    expect(c.baseline).toBe(0.54);
    const f = augmentCamera(K, 0.54, src, { flip: true, crop }, 'negate_baseline', src);
    expect(f.K).toEqual([200, -0, 99 - 80.5, 0, 160, 32.5, 0, 0, 1]);
    expect(f.baseline).toBe(-0.54);
    expect(augmentCamera(K, 0.54, src, { flip: true, crop }, 'swap', src).baseline).toBe(0.54);
    // A monodepth2 'r' line (negative baseline) flips to positive.
    expect(augmentCamera(K, -0.54, src, { flip: true, crop: null }, 'negate_baseline', src).baseline).toBe(0.54);
    // Plain half-size resize: fx = 50, cx = (50 + 0.5) * 0.5 - 0.5 = 24.75, cy = 20.5 * 0.5 - 0.5 = 9.75.
    expect(augmentCamera(K, 0.54, src, { flip: false, crop: null }, 'swap', { width: 50, height: 20 }).K).toEqual([50, 0, 24.75, 0, 40, 9.75, 0, 0, 1]);
  });

  it('flipping twice is the identity (K and baseline)', () => {
    const crop = { x: 7, y: 3, width: 61, height: 27 };
    const out = { width: 90, height: 36 };
    const once = augmentCamera(K, 0.3, src, { flip: true, crop }, 'negate_baseline', out);
    const twice = augmentCamera(once.K, once.baseline, out, { flip: true, crop: null }, 'negate_baseline', out);
    const none = augmentCamera(K, 0.3, src, { flip: false, crop }, 'negate_baseline', out);
    twice.K.forEach((v, i) => expect(v).toBeCloseTo(none.K[i]!, 12));
    expect(twice.baseline).toBe(0.3);
  });

  /** A smooth blob at sub-pixel (u0, v0): its centroid after augmentSample must sit where the new K projects its ray. */
  it('the projection with the new K lands on the resampled image content (tf half-pixel resize, flip)', () => {
    const W = 64;
    const H = 32;
    const [u0, v0, sigma] = [30.3, 14.7, 2.5];
    const data = new Uint8Array(W * H * 3);
    for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) {
      const g = Math.round(255 * Math.exp(-((u - u0) ** 2 + (v - v0) ** 2) / (2 * sigma ** 2)));
      data.fill(g, (v * W + u) * 3, (v * W + u) * 3 + 3);
    }
    const camera = { K: [50, 0, 31.7, 0, 40, 15.2, 0, 0, 1], width: W, height: H, focal: 50, baseline: 0.1 };
    const sample: StereoSample = { id: 'blob', left: { data, width: W, height: H, channels: 3 }, camera };
    const [X, Y] = [(u0 - 31.7) / 50, (v0 - 15.2) / 40]; // the blob's ray, Z = 1
    const cases: [AugmentDraw, { width: number; height: number }][] = [
      [{ flip: false, crop: { x: 12, y: 5, width: 40, height: 20 }, colour: null }, { width: 60, height: 30 }],
      [{ flip: true, crop: { x: 12, y: 5, width: 40, height: 20 }, colour: null }, { width: 60, height: 30 }],
      [{ flip: true, crop: { x: 9, y: 2, width: 45, height: 23 }, colour: null }, { width: 100, height: 50 }],
      [{ flip: false, crop: null, colour: null }, { width: 48, height: 24 }],
      [{ flip: true, crop: null, colour: null }, { width: 64, height: 32 }],
    ];
    for (const [draw, out] of cases) {
      const a = augmentSample(sample, draw, NO_AUGMENTATION, out);
      const img = values(a.left);
      let [m, mu, mv] = [0, 0, 0];
      for (let v = 0; v < out.height; v++) for (let u = 0; u < out.width; u++) {
        const g = img[(v * out.width + u) * 3]!;
        m += g;
        mu += g * u;
        mv += g * v;
      }
      const [cu, cv] = [mu / m, mv / m];
      const Xs = draw.flip ? -X : X; // the flipped image is a camera looking at the mirrored world
      // Measured: within 0.005 px.
      expect(Math.abs(cu - (a.K[0]! * Xs + a.K[2]!))).toBeLessThan(0.02);
      expect(Math.abs(cv - (a.K[4]! * Y + a.K[5]!))).toBeLessThan(0.02);
      // Control: the pixel-corner convention (cx' = (cx - x0) * k, flip cx' = W - cx) misses by a visible amount.
      const win = draw.crop ?? { x: 0, y: 0, width: W, height: H };
      const k = out.width / win.width;
      let cornerCx = (31.7 - win.x) * k;
      if (draw.flip) cornerCx = out.width - cornerCx;
      expect(Math.abs(cu - (a.K[0]! * Xs + cornerCx))).toBeGreaterThan(0.1);
      disposeAugmentedSample(a);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Draws

describe('drawAugmentation', () => {
  const CROPPING = cfgWith(MONODEPTH2_AUGMENTATION, { crop: { probability: 0.5, minScale: 0.5, maxScale: 0.9 } });

  it('the same seed gives identical draws, another seed different ones', () => {
    const seq = (seed: string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => drawAugmentation(rng, CROPPING, { width: 640, height: 192 }));
    };
    expect(seq('a')).toEqual(seq('a'));
    expect(seq('a')).not.toEqual(seq('b'));
  });

  it(`consumes exactly ${AUGMENT_RNG_CALLS} numbers whatever the config and outcome`, () => {
    for (const cfg of [NO_AUGMENTATION, MONODEPTH_AUGMENTATION, MONODEPTH2_AUGMENTATION, CROPPING, cfgWith(CROPPING, { flip: { probability: 1 }, colour: { probability: 1 }, crop: { probability: 1 } })]) {
      for (let s = 0; s < 5; s++) {
        const rng = new Rng(`calls${s}`);
        const ref = new Rng(`calls${s}`);
        drawAugmentation(rng, cfg, { width: 64, height: 32 });
        for (let i = 0; i < AUGMENT_RNG_CALLS; i++) ref.next();
        expect(rng.next()).toBe(ref.next());
      }
    }
  });

  it('respects probabilities, ranges, crop bounds and aspect, and v2 op orders are permutations', () => {
    const rng = new Rng('stats');
    const src = { width: 640, height: 192 };
    const n = 4000;
    let [flips, crops, colours] = [0, 0, 0];
    const orders = new Set<string>();
    const r2 = MONODEPTH2_AUGMENTATION.colour.v2;
    for (let i = 0; i < n; i++) {
      const d = drawAugmentation(rng, CROPPING, src);
      flips += Number(d.flip);
      if (d.crop) {
        crops++;
        const { x, y, width, height } = d.crop;
        expect(x >= 0 && y >= 0 && x + width <= src.width && y + height <= src.height).toBe(true);
        expect(width / src.width).toBeGreaterThanOrEqual(0.5 - 1 / 640);
        expect(width / src.width).toBeLessThanOrEqual(0.9 + 1 / 640);
        expect(Math.abs(height / width - src.height / src.width)).toBeLessThan(1 / height);
      }
      if (d.colour) {
        colours++;
        if (d.colour.mode !== 'v2') throw new Error('expected a v2 draw');
        expect([...d.colour.order].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
        orders.add(d.colour.order.join());
        for (const k of ['brightness', 'contrast', 'saturation', 'hue'] as const) {
          expect(d.colour[k]).toBeGreaterThanOrEqual(r2[k][0]);
          expect(d.colour[k]).toBeLessThanOrEqual(r2[k][1]);
        }
      }
    }
    for (const count of [flips, crops, colours]) expect(Math.abs(count / n - 0.5)).toBeLessThan(0.03);
    expect(orders.size).toBe(24);
    // v1 ranges: gamma [0.8,1.2], brightness [0.5,2], channel [0.8,1.2].
    const always = cfgWith(MONODEPTH_AUGMENTATION, { colour: { probability: 1 } });
    for (let i = 0; i < 200; i++) {
      const d = drawAugmentation(rng, always, src).colour!;
      if (d.mode !== 'v1') throw new Error('expected a v1 draw');
      expect(d.gamma >= 0.8 && d.gamma <= 1.2 && d.brightness >= 0.5 && d.brightness <= 2).toBe(true);
      for (const c of d.channel) expect(c >= 0.8 && c <= 1.2).toBe(true);
    }
  });

  it('presets hold the references\' values and cannot be changed by a caller', () => {
    expect(MONODEPTH_AUGMENTATION.flip).toEqual({ probability: 0.5, mode: 'swap' });
    expect([MONODEPTH_AUGMENTATION.colour.probability, MONODEPTH_AUGMENTATION.colour.mode, MONODEPTH_AUGMENTATION.crop.probability]).toEqual([0.5, 'v1', 0]);
    expect(MONODEPTH2_AUGMENTATION.flip).toEqual({ probability: 0.5, mode: 'negate_baseline' });
    expect([MONODEPTH2_AUGMENTATION.colour.probability, MONODEPTH2_AUGMENTATION.colour.mode, MONODEPTH2_AUGMENTATION.crop.probability]).toEqual([0.5, 'v2', 0]);
    expect(MONODEPTH2_AUGMENTATION.colour.v2).toEqual({ brightness: [0.8, 1.2], contrast: [0.8, 1.2], saturation: [0.8, 1.2], hue: [-0.1, 0.1] });
    expect(MONODEPTH_AUGMENTATION.colour.v1).toEqual({ gamma: [0.8, 1.2], brightness: [0.5, 2.0], channel: [0.8, 1.2] });
    expect([NO_AUGMENTATION.flip.probability, NO_AUGMENTATION.colour.probability, NO_AUGMENTATION.crop.probability]).toEqual([0, 0, 0]);
    expect(() => {
      (MONODEPTH2_AUGMENTATION.colour.v2.hue as number[])[1] = 0.3;
    }).toThrow();
  });

  it('rejects bad configs naming the key', () => {
    const rng = new Rng(1);
    expect(() => drawAugmentation(rng, cfgWith(NO_AUGMENTATION, { crop: { minScale: 0.9, maxScale: 0.5 } }), { width: 8, height: 8 })).toThrow(/minScale/);
    expect(() => drawAugmentation(rng, cfgWith(NO_AUGMENTATION, { flip: { probability: 2 } }), { width: 8, height: 8 })).toThrow(/flip\.probability/);
    expect(() => drawAugmentation(rng, cfgWith(NO_AUGMENTATION, { flip: { mode: 'mirror' as 'swap' } }), { width: 8, height: 8 })).toThrow(/flip\.mode/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Colour

/** Python colorsys.rgb_to_hsv, written out for the check. */
function hsvReference(r: number, g: number, b: number): [number, number, number] {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return [0, 0, max];
  const d = max - min;
  const [rc, gc, bc] = [(max - r) / d, (max - g) / d, (max - b) / d];
  let h = r === max ? bc - gc : g === max ? 2 + rc - bc : 4 + gc - rc;
  h = (((h / 6) % 1) + 1) % 1;
  return [h, d / max, max];
}

describe('colour jitter', () => {
  const v2 = (patch: Partial<Extract<ColourDraw, { mode: 'v2' }>>): Extract<ColourDraw, { mode: 'v2' }> => ({
    mode: 'v2', order: ['brightness', 'contrast', 'saturation', 'hue'], brightness: 1, contrast: 1, saturation: 1, hue: 0, ...patch,
  });
  const px = (rgb: number[][]) => tf.tensor3d(rgb.flat(), [1, rgb.length, 3]);

  it('v1 is clip(I^gamma * brightness * colour_c)', () => {
    const pixels = [[0.25, 0.5, 1], [0, 0.9, 0.3]];
    const d = { mode: 'v1' as const, gamma: 1.1, brightness: 1.5, channel: [0.9, 1.0, 1.2] as [number, number, number] };
    const out = values(tf.tidy(() => colourJitterV1(px(pixels), d)));
    pixels.flat().forEach((x, i) => expect(out[i]).toBeCloseTo(Math.min(1, x ** 1.1 * 1.5 * d.channel[i % 3]!), 6));
  });

  it('v2 single ops follow torchvision: brightness, contrast (image-mean grey), saturation (pixel grey), hue', () => {
    const pixels = [[0.2, 0.4, 0.6], [0.9, 0.1, 0.5]];
    const grey = pixels.map(([r, g, b]) => 0.2989 * r! + 0.587 * g! + 0.114 * b!);
    const mean = (grey[0]! + grey[1]!) / 2;
    const check = (d: Extract<ColourDraw, { mode: 'v2' }>, expected: (x: number, p: number) => number) => {
      const out = values(tf.tidy(() => colourJitterV2(px(pixels), d)));
      pixels.flat().forEach((x, i) => expect(out[i]).toBeCloseTo(Math.min(1, Math.max(0, expected(x, Math.floor(i / 3)))), 6));
    };
    check(v2({ order: ['brightness'], brightness: 1.2 }), (x) => 1.2 * x);
    check(v2({ order: ['contrast'], contrast: 0.8 }), (x) => 0.8 * x + 0.2 * mean);
    check(v2({ order: ['saturation'], saturation: 1.2 }), (x, p) => 1.2 * x - 0.2 * grey[p]!);
    // Hue: red turned by 0.1 is (1, 0.6, 0) (36 degrees), by 1/3 pure green; grey has no hue to turn.
    expect(Array.from(values(tf.tidy(() => adjustHue(px([[1, 0, 0], [0.4, 0.4, 0.4]]), 0.1))))).toEqual([1, expect.closeTo(0.6, 6), 0, expect.closeTo(0.4, 6), expect.closeTo(0.4, 6), expect.closeTo(0.4, 6)]);
    const green = values(tf.tidy(() => adjustHue(px([[1, 0, 0]]), 1 / 3)));
    [0, 1, 0].forEach((v, i) => expect(green[i]).toBeCloseTo(v, 5));
  });

  it('RGB -> HSV matches colorsys; a zero hue turn is the identity', () => {
    const rng = new Rng('hsv');
    const rgb = Array.from({ length: 300 }, () => [rng.next(), rng.next(), rng.next()]);
    rgb.push([0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.2], [0.3, 0.7, 0.7], [0.7, 0.2, 0.7]);
    const hsv = values(tf.tidy(() => rgbToHsv(px(rgb))));
    rgb.forEach(([r, g, b], i) => {
      const [h, s, v] = hsvReference(r!, g!, b!);
      const dh = Math.abs(hsv[i * 3]! - h);
      expect(Math.min(dh, 1 - dh)).toBeLessThan(1e-5);
      expect(hsv[i * 3 + 1]).toBeCloseTo(s, 5);
      expect(hsv[i * 3 + 2]).toBeCloseTo(v, 6);
    });
    const same = tf.tidy(() => maxAbsDiff(adjustHue(px(rgb), 0), px(rgb)));
    expect(same).toBeLessThan(1e-5);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// augmentSample: which tensors are touched, maps, leaks

describe('augmentSample', () => {
  const W = 48;
  const H = 24;
  const rng = new Rng('samples');
  const left = randomImage(rng, W, H);
  const right = randomImage(rng, W, H);
  const neighbours = { [-1]: randomImage(rng, W, H), [1]: randomImage(rng, W, H) };
  /** Sparse GT: 10 % of pixels set to distinct depths. */
  const gt: FloatMap = { data: Float32Array.from({ length: W * H }, () => (rng.next() < 0.1 ? rng.uniform(1, 80) : 0)), width: W, height: H };
  /** Teacher at half resolution: a horizontal ramp t = column. */
  const teacher: FloatMap = { data: Float32Array.from({ length: (W / 2) * (H / 2) }, (_, i) => i % (W / 2)), width: W / 2, height: H / 2 };
  const sample: StereoSample = { id: 'rand', left, right, camera: cameraFor(W, H, 0.54), gtDepth: gt, teacher, teacherKind: 'inverse_depth', neighbours };
  const OUT = { width: 32, height: 16 };
  const crop = { x: 5, y: 3, width: 36, height: 18 };
  const strongV1: ColourDraw = { mode: 'v1', gamma: 0.8, brightness: 2, channel: [1.2, 0.8, 1.1] };
  const strongV2: ColourDraw = { mode: 'v2', order: ['hue', 'saturation', 'brightness', 'contrast'], brightness: 1.2, contrast: 0.8, saturation: 1.2, hue: 0.1 };

  const inRange01 = (t: tf.Tensor) => {
    const v = values(t);
    return v.every((x) => x >= 0 && x <= 1);
  };

  it('v1 colour changes the loss images of both views identically; inputs are distinct copies of them', () => {
    const twin: StereoSample = { ...sample, right: left };
    const plain = augmentSample(twin, { flip: false, crop, colour: null }, MONODEPTH_AUGMENTATION, OUT);
    const a = augmentSample(twin, { flip: false, crop, colour: strongV1 }, MONODEPTH_AUGMENTATION, OUT);
    expect(maxAbsDiff(a.left, a.right!)).toBe(0); // same draw on both views
    expect(maxAbsDiff(a.left, plain.left)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(a.leftInput, a.left)).toBe(0);
    expect(a.leftInput).not.toBe(a.left);
    expect(maxAbsDiff(a.neighbours![1]!.image, a.neighbours![1]!.input)).toBe(0);
    expect(maxAbsDiff(a.neighbours![1]!.image, augmentSample(twin, { flip: false, crop, colour: null }, MONODEPTH_AUGMENTATION, OUT).neighbours![1]!.image)).toBeGreaterThan(0.1);
    for (const t of [a.left, a.right!, a.leftInput, a.rightInput!]) expect(inRange01(t)).toBe(true);
    expect(Math.max(...values(a.left))).toBe(1); // brightness 2 saturates: clipped, not wrapped
    a.left.dispose();
    expect(values(a.leftInput).length).toBe(OUT.width * OUT.height * 3); // still alive
    disposeAugmentedSample(a);
    disposeAugmentedSample(plain);
  });

  it('v2 colour touches only the network inputs, with one draw for every frame', () => {
    const plain = augmentSample(sample, { flip: true, crop, colour: null }, MONODEPTH2_AUGMENTATION, OUT);
    const a = augmentSample(sample, { flip: true, crop, colour: strongV2 }, MONODEPTH2_AUGMENTATION, OUT);
    expect(maxAbsDiff(a.left, plain.left)).toBe(0);
    expect(maxAbsDiff(a.right!, plain.right!)).toBe(0);
    expect(maxAbsDiff(a.neighbours![-1]!.image, plain.neighbours![-1]!.image)).toBe(0);
    expect(maxAbsDiff(a.leftInput, a.left)).toBeGreaterThan(0.1);
    const frames: [tf.Tensor3D, tf.Tensor3D][] = [[a.left, a.leftInput], [a.right!, a.rightInput!], [a.neighbours![-1]!.image, a.neighbours![-1]!.input]];
    for (const [image, input] of frames) {
      const expected = colourJitterV2(image, strongV2);
      expect(maxAbsDiff(expected, input)).toBeLessThan(1e-6);
      expected.dispose();
      expect(inRange01(input)).toBe(true);
    }
    // Without colour the input is a distinct tensor equal to the loss image.
    expect(plain.leftInput).not.toBe(plain.left);
    expect(maxAbsDiff(plain.leftInput, plain.left)).toBe(0);
    disposeAugmentedSample(a);
    disposeAugmentedSample(plain);
  });

  it('GT depth is resampled nearest (sparse values exact, 0 stays invalid), teacher bilinear, both flipped with the view', () => {
    const same = augmentSample(sample, { flip: false, crop: null, colour: null }, MONODEPTH2_AUGMENTATION, { width: W, height: H });
    expect(Array.from(values(same.gtDepth!))).toEqual(Array.from(gt.data));
    disposeAugmentedSample(same);
    const gtValues = new Set(gt.data);
    for (const flip of [false, true]) {
      const a = augmentSample(sample, { flip, crop, colour: null }, MONODEPTH2_AUGMENTATION, OUT);
      expect(a.gtDepth!.shape).toEqual([OUT.height, OUT.width, 1]);
      const d = values(a.gtDepth!);
      expect(d.every((v) => gtValues.has(v))).toBe(true);
      expect(d.some((v) => v > 0)).toBe(true);
      // Output column j sees source column x0 + (j + 0.5) * 36/32 - 0.5 (mirrored when flipped); the half-size teacher ramp
      // holds t = (u + 0.5) / 2 - 0.5 there (away from the clamped borders).
      const t = values(a.teacher!);
      for (let j = 2; j < OUT.width - 2; j++) {
        const col = flip ? OUT.width - 1 - j : j;
        const u = crop.x + (col + 0.5) * (crop.width / OUT.width) - 0.5;
        expect(t[5 * OUT.width + j]).toBeCloseTo((u + 0.5) / 2 - 0.5, 4);
      }
      expect(a.teacherKind).toBe('inverse_depth');
      disposeAugmentedSample(a);
    }
  });

  it('a swap flip drops the left-view GT, teacher and neighbours; an unflipped swap config keeps them; a monocular sample flips in place', () => {
    const swapped = augmentSample(sample, { flip: true, crop, colour: null }, MONODEPTH_AUGMENTATION, OUT);
    expect([swapped.gtDepth, swapped.teacher, swapped.neighbours]).toEqual([undefined, undefined, undefined]);
    expect(swapped.baseline).toBe(0.54);
    const kept = augmentSample(sample, { flip: false, crop, colour: null }, MONODEPTH_AUGMENTATION, OUT);
    expect(kept.gtDepth && kept.teacher && kept.neighbours).toBeTruthy();
    const mono = augmentSample({ ...sample, right: undefined }, { flip: true, crop, colour: null }, MONODEPTH_AUGMENTATION, OUT);
    expect(mono.right).toBeUndefined();
    expect(mono.gtDepth).toBeDefined();
    expect(mono.baseline).toBe(0.54);
    const reversed = tf.reverse(kept.left, 1);
    expect(maxAbsDiff(mono.left, reversed)).toBe(0);
    reversed.dispose();
    for (const s of [swapped, kept, mono]) disposeAugmentedSample(s);
  });

  it('flipping twice gives back the original images, GT, K and baseline (both modes)', () => {
    const toRgb = (t: tf.Tensor3D): RgbImage => ({ data: Uint8Array.from(values(t), (x) => Math.round(x * 255)), width: t.shape[1], height: t.shape[0], channels: 3 });
    const src = { width: W, height: H };
    for (const cfg of [MONODEPTH_AUGMENTATION, MONODEPTH2_AUGMENTATION]) {
      const draw: AugmentDraw = { flip: true, crop: null, colour: null };
      const once = augmentSample(sample, draw, cfg, src);
      const back: StereoSample = {
        id: 'back', left: toRgb(once.left), right: toRgb(once.right!), camera: { K: once.K, width: W, height: H, focal: once.focal, baseline: once.baseline },
        ...(once.gtDepth ? { gtDepth: { data: values(once.gtDepth).slice(), width: W, height: H } } : {}),
      };
      const twice = augmentSample(back, draw, cfg, src);
      expect(Buffer.compare(toRgb(twice.left).data, left.data)).toBe(0);
      expect(Buffer.compare(toRgb(twice.right!).data, right.data)).toBe(0);
      twice.K.forEach((v, i) => expect(v).toBeCloseTo(sample.camera.K[i]!, 12));
      expect(twice.baseline).toBe(0.54);
      if (cfg.flip.mode === 'negate_baseline') expect(Array.from(values(twice.gtDepth!))).toEqual(Array.from(gt.data));
      disposeAugmentedSample(once);
      disposeAugmentedSample(twice);
    }
  });

  it('leaks no tensors: every returned tensor is new and disposing them restores the count', () => {
    for (const [cfg, colour] of [[MONODEPTH_AUGMENTATION, strongV1], [MONODEPTH2_AUGMENTATION, strongV2], [NO_AUGMENTATION, null]] as const) {
      for (const flip of [false, true]) {
        for (const c of [crop, null]) {
          const before = tf.memory().numTensors;
          const a = augmentSample(sample, { flip, crop: c, colour }, cfg, OUT);
          const returned = [a.left, a.right, a.leftInput, a.rightInput, a.gtDepth, a.teacher, ...Object.values(a.neighbours ?? {}).flatMap((n) => [n.image, n.input])].filter(Boolean);
          expect(new Set(returned).size).toBe(returned.length);
          expect(tf.memory().numTensors - before).toBe(returned.length);
          disposeAugmentedSample(a);
          expect(tf.memory().numTensors).toBe(before);
        }
      }
    }
  });

  it('gives the same tensors on every backend (cpu reference), colour included', async () => {
    const draws: AugmentDraw[] = [
      { flip: true, crop, colour: strongV2 },
      { flip: false, crop: null, colour: strongV1 },
    ];
    const run = () => draws.map((d, i) => {
      const a = augmentSample(sample, d, i === 0 ? MONODEPTH2_AUGMENTATION : MONODEPTH_AUGMENTATION, OUT);
      const out = [a.left, a.leftInput, a.right!, a.rightInput!, a.teacher, a.gtDepth].filter((t): t is tf.Tensor3D => t !== undefined).map((t) => values(t).slice());
      disposeAugmentedSample(a);
      return out;
    });
    try {
      await initBackend('cpu');
      const reference = run();
      for (const backend of testBackends().filter((b) => b !== 'cpu')) {
        await initBackend(backend);
        run().forEach((tensors, i) => tensors.forEach((t, j) => {
          let worst = 0;
          t.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - reference[i]![j]![k]!))));
          expect(worst, `${backend} draw ${i} tensor ${j}`).toBeLessThan(1e-5);
        }));
      }
    } finally {
      await initBackend('wasm');
    }
  });

  it('names the sample and the fault for inconsistent inputs', () => {
    expect(() => augmentSample({ ...sample, right: randomImage(rng, W + 2, H) }, { flip: false, crop: null, colour: null }, NO_AUGMENTATION, OUT)).toThrow(/rand.*right image is 50x24/);
    expect(() => augmentSample(sample, { flip: false, crop: { x: 20, y: 0, width: 40, height: 10 }, colour: null }, NO_AUGMENTATION, OUT)).toThrow(/rand.*crop/);
    expect(() => augmentSample(sample, { flip: false, crop: null, colour: null }, NO_AUGMENTATION, { width: 0, height: 4 })).toThrow(/output size/);
  });
});
