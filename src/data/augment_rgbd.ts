/**
 * RGB-D training augmentation for supervised depth (monocular image + metric GT depth). One inverse map from output pixels
 * to source pixels serves the image AND the depth, so the depth always moves with the image; depth is resampled by nearest
 * neighbour only (0 = invalid stays 0, no value is ever mixed), and pixels that fall outside the source are 0 (black image,
 * invalid depth) as scipy's rotate fills them.
 *
 * - `fastdepth` (dwofk/fast-depth `dataloaders/nyu.py train_transform`, ANCHORS §4): s ~ U[1, 1.5], depth / s; rotation
 *   ~ U[-5, 5] deg about the image centre; resize by s; centre crop 228x304 of the 250-row resize (as fractions of the
 *   source: 228/250 of the height, 304/(640*250/480) of the width, divided by s); flip p 0.5; resize to the output size;
 *   ColorJitter(0.4, 0.4, 0.4) on the result. fast-depth resamples RGB and depth by nearest neighbour (`Rotate` order=0,
 *   `Resize` interp 'nearest'); so does this. Its val_transform is the same chain with s = 1, no rotation, no flip, no jitter.
 * - `mai_crop` (the MAI 2021 depth-compensating random crop): with probability p a window of k x the source size
 *   (k ~ U[min_scale, max_scale], same aspect, uniform position) is cropped and resized to the output size; the crop
 *   magnifies the scene by m = 1/k, as if the camera were m times closer, so depth is divided by m. Flip p 0.5. RGB bilinear.
 *
 * The output's K is exact for crop/scale/flip (pixel centres at integers, as augment.ts) and ignores the +-5 deg rotation.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Rng } from '../util/random.js';
import type { AugmentedSample } from './augment.js';
import { colourJitterV2 } from './augment_colour.js';
import type { ColourDraw, ColourJitterOp } from './augment_config.js';
import type { FloatMap, RgbImage, StereoSample } from './types.js';

export type RgbdAugmentMode = 'none' | 'fastdepth' | 'mai_crop';

export interface RgbdAugmentConfig {
  mode: RgbdAugmentMode;
  fastdepth: {
    /** s range; depth is divided by s. */
    scale: [number, number];
    /** Rotation range, +- degrees. */
    rotationDegrees: number;
    /** Centre crop as fractions of the source (height, width) before the scale s. */
    centreCrop: [number, number];
    flipProbability: number;
    /** torchvision ColorJitter(brightness, contrast, saturation) amounts; 0 = none. */
    jitter: number;
  };
  maiCrop: { probability: number; minScale: number; maxScale: number; flipProbability: number };
}

/** fast-depth: 228x304 of the 250x333.3 resize of a 480x640 frame. */
export const FASTDEPTH_CENTRE_CROP: [number, number] = [228 / 250, 304 / ((640 * 250) / 480)];

export const DEFAULT_RGBD_AUGMENT: RgbdAugmentConfig = {
  mode: 'none',
  fastdepth: { scale: [1, 1.5], rotationDegrees: 5, centreCrop: FASTDEPTH_CENTRE_CROP, flipProbability: 0.5, jitter: 0.4 },
  maiCrop: { probability: 1, minScale: 0.5, maxScale: 1, flipProbability: 0.5 },
};

/** One sample's draw: the inverse map's parameters, the depth divisor and the colour draw. */
export interface RgbdDraw {
  /** Window in source pixels (continuous; centre-relative rotation applied before it), before flip. */
  window: { x: number; y: number; width: number; height: number };
  /** Rotation (radians) of the source about its centre, applied before the window. */
  rotation: number;
  flip: boolean;
  /** GT depth is divided by this (fast-depth's s, the crop's magnification). */
  depthDivisor: number;
  /** nearest (fast-depth) or bilinear RGB resampling; depth is always nearest. */
  imageSampling: 'nearest' | 'bilinear';
  colour: Extract<ColourDraw, { mode: 'v2' }> | null;
}

/** Uniform numbers consumed per draw whatever the mode (streams stay aligned). */
export const RGBD_RNG_CALLS = 10;

const lerp = (lo: number, hi: number, u: number): number => lo + (hi - lo) * u;

/** The deterministic evaluation transform of a mode (fast-depth's val_transform; identity otherwise). */
export function rgbdEvalDraw(cfg: RgbdAugmentConfig, source: { width: number; height: number }): RgbdDraw {
  const whole = { x: 0, y: 0, width: source.width, height: source.height };
  if (cfg.mode !== 'fastdepth') return { window: whole, rotation: 0, flip: false, depthDivisor: 1, imageSampling: 'bilinear', colour: null };
  const [fh, fw] = cfg.fastdepth.centreCrop;
  const w = fw * source.width, h = fh * source.height;
  return { window: { x: (source.width - w) / 2, y: (source.height - h) / 2, width: w, height: h }, rotation: 0, flip: false, depthDivisor: 1, imageSampling: 'nearest', colour: null };
}

export function drawRgbdAugmentation(rng: Rng, cfg: RgbdAugmentConfig, source: { width: number; height: number }): RgbdDraw {
  const u = Array.from({ length: RGBD_RNG_CALLS }, () => rng.next());
  if (cfg.mode === 'fastdepth') {
    const f = cfg.fastdepth;
    const s = lerp(f.scale[0], f.scale[1], u[0]!);
    const [fh, fw] = f.centreCrop;
    const w = (fw * source.width) / s, h = (fh * source.height) / s;
    const j = f.jitter;
    // torchvision ColorJitter: factors ~ U[max(0, 1 - j), 1 + j], the ops in a random order (Fisher-Yates on u[6..8]).
    const order: ColourJitterOp[] = ['brightness', 'contrast', 'saturation'];
    for (let i = order.length - 1, k = 6; i > 0; i--, k++) {
      const r = Math.floor(u[k]! * (i + 1));
      [order[i], order[r]] = [order[r]!, order[i]!];
    }
    const factor = (x: number): number => lerp(Math.max(0, 1 - j), 1 + j, x);
    return {
      window: { x: (source.width - w) / 2, y: (source.height - h) / 2, width: w, height: h },
      rotation: (lerp(-f.rotationDegrees, f.rotationDegrees, u[1]!) * Math.PI) / 180,
      flip: u[2]! < f.flipProbability,
      depthDivisor: s,
      imageSampling: 'nearest',
      colour: j > 0 ? { mode: 'v2', order, brightness: factor(u[3]!), contrast: factor(u[4]!), saturation: factor(u[5]!), hue: 0 } : null,
    };
  }
  if (cfg.mode === 'mai_crop') {
    const m = cfg.maiCrop;
    const crop = u[0]! < m.probability;
    const k = crop ? lerp(m.minScale, m.maxScale, u[1]!) : 1;
    const w = k * source.width, h = k * source.height;
    return {
      window: { x: u[2]! * (source.width - w), y: u[3]! * (source.height - h), width: w, height: h },
      rotation: 0,
      flip: u[4]! < m.flipProbability,
      depthDivisor: 1 / k,
      imageSampling: 'bilinear',
      colour: null,
    };
  }
  return rgbdEvalDraw(cfg, source);
}

/** Source coordinates (x, y; pixel centres at integers) of every output pixel centre, row-major pairs. */
export function inverseMap(draw: RgbdDraw, source: { width: number; height: number }, out: { width: number; height: number }): Float64Array {
  const { window: win, rotation, flip } = draw;
  const cxs = (source.width - 1) / 2, cys = (source.height - 1) / 2;
  const cos = Math.cos(rotation), sin = Math.sin(rotation);
  const map = new Float64Array(out.width * out.height * 2);
  for (let v = 0; v < out.height; v++) {
    const y = win.y + ((v + 0.5) * win.height) / out.height - 0.5;
    for (let u = 0; u < out.width; u++) {
      const uu = flip ? out.width - 1 - u : u;
      const x = win.x + ((uu + 0.5) * win.width) / out.width - 0.5;
      // The rotated image at (x, y) shows the source at the point rotated back about the centre.
      const dx = x - cxs, dy = y - cys;
      const k = (v * out.width + u) * 2;
      map[k] = cxs + cos * dx + sin * dy;
      map[k + 1] = cys - sin * dx + cos * dy;
    }
  }
  return map;
}

/** Nearest-neighbour map resampling (values copied, 0 outside), each value divided by `divisor` (0 stays 0). */
export function sampleMapNearest(map: FloatMap, coords: Float64Array, source: { width: number; height: number }, divisor: number): Float32Array {
  const out = new Float32Array(coords.length / 2);
  const sx = map.width / source.width, sy = map.height / source.height;
  for (let i = 0; i < out.length; i++) {
    const mx = Math.round((coords[2 * i]! + 0.5) * sx - 0.5), my = Math.round((coords[2 * i + 1]! + 0.5) * sy - 0.5);
    if (mx < 0 || my < 0 || mx >= map.width || my >= map.height) continue;
    const d = map.data[my * map.width + mx]!;
    out[i] = d > 0 ? d / divisor : 0;
  }
  return out;
}

/** RGB resampling to floats in [0, 1]: nearest, or bilinear with taps outside the image counted as black. */
export function sampleRgb(img: RgbImage, coords: Float64Array, mode: 'nearest' | 'bilinear'): Float32Array {
  const n = coords.length / 2;
  const out = new Float32Array(n * 3);
  const { width: W, height: H, data } = img;
  const tap = (x: number, y: number, c: number): number => (x < 0 || y < 0 || x >= W || y >= H ? 0 : data[(y * W + x) * 3 + c]!);
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i]!, y = coords[2 * i + 1]!;
    if (mode === 'nearest') {
      const xi = Math.round(x), yi = Math.round(y);
      for (let c = 0; c < 3; c++) out[i * 3 + c] = tap(xi, yi, c) / 255;
      continue;
    }
    const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
    for (let c = 0; c < 3; c++) {
      const top = tap(x0, y0, c) * (1 - fx) + tap(x0 + 1, y0, c) * fx;
      const bottom = tap(x0, y0 + 1, c) * (1 - fx) + tap(x0 + 1, y0 + 1, c) * fx;
      out[i * 3 + c] = (top * (1 - fy) + bottom * fy) / 255;
    }
  }
  return out;
}

/** Applies a draw to a monocular RGB-D sample; the result is shaped like augment.ts's (the loader collates either). */
export function augmentRgbdSample(sample: StereoSample, draw: RgbdDraw, out: { height: number; width: number }): AugmentedSample {
  const source = { width: sample.left.width, height: sample.left.height };
  const coords = inverseMap(draw, source, out);
  const image = tf.tensor3d(sampleRgb(sample.left, coords, draw.imageSampling), [out.height, out.width, 3]);
  const input = draw.colour ? colourJitterV2(image, draw.colour) : tf.clone(image);
  const { window: win } = draw;
  const kx = out.width / win.width, ky = out.height / win.height;
  const K = sample.camera.K;
  let cx = (K[2]! - win.x + 0.5) * kx - 0.5;
  if (draw.flip) cx = out.width - 1 - cx;
  const cy = (K[5]! - win.y + 0.5) * ky - 0.5;
  const result: AugmentedSample = {
    id: sample.id,
    left: image,
    leftInput: input,
    K: [K[0]! * kx, 0, cx, 0, K[4]! * ky, cy, 0, 0, 1],
    focal: K[0]! * kx,
    baseline: sample.camera.baseline,
    flipped: draw.flip,
    zoom: source.width / win.width,
  };
  if (sample.gtDepth) result.gtDepth = tf.tensor3d(sampleMapNearest(sample.gtDepth, coords, source, draw.depthDivisor), [out.height, out.width, 1]);
  return result;
}
