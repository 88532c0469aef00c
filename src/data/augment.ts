/**
 * Stereo-consistent training augmentation: one random draw per sample (flip, crop window, colour) applied identically to
 * both views, the temporal neighbours, the GT depth and the teacher map, with the camera (K, focal, baseline) updated so
 * that the warp geometry of the augmented pair is exact.
 *
 * Pixel convention (the one of types.ts, KITTI/OpenCV and the synthetic renderer): pixel (u, v) has its CENTRE at integer
 * coordinates, u = fx * X/Z + cx. Hence
 *   - crop at (x0, y0):                   cx' = cx - x0                         (integer windows only)
 *   - resize by k = out/in (half-pixel):  cx' = (cx + 0.5) * k - 0.5, fx' = fx * k  (tf.image.resizeBilinear, halfPixelCenters)
 *   - horizontal flip of a W-wide image:  cx' = W - 1 - cx  (u -> W - 1 - u; the mirrored camera keeps fx)
 * The same formulas hold for y with fy, cy and heights.
 *
 * Flip modes (ANCHORS.md §4):
 *   - 'swap' (monodepth v1): left' = flip(right), right' = flip(left). In the mirrored world the old right camera sits on the
 *     LEFT of the old left camera, so the roles swap back and the signed baseline is unchanged. The GT depth, teacher map and
 *     temporal neighbours belong to the old left view, which is now the right view: they are dropped (undefined).
 *     Rectified pairs share K, so the new left view uses the flipped K. A sample without a right view is flipped in place.
 *   - 'negate_baseline' (monodepth2): every frame is flipped in place and keeps its role; the partner view now sits on the
 *     other side, so the signed baseline is negated. GT depth, teacher and neighbours are flipped with the left view.
 * In both cases the left view is reconstructed from the right one at x_right = u - focal * baseline / depth (signed baseline).
 *
 * Colour modes:
 *   - 'v1' (monodepth): I^gamma * brightness * per-channel colour, clipped to [0,1], applied to the images the LOSS sees
 *     (left/right/neighbour images); the network inputs are copies of them.
 *   - 'v2' (monodepth2): torchvision ColorJitter(brightness, contrast, saturation, hue) with one draw (and one random op order)
 *     per sample, applied only to the NETWORK inputs; the loss sees the un-jittered images. Float-tensor semantics of
 *     torchvision (grey = 0.2989 R + 0.587 G + 0.114 B, contrast mean over the whole image, every op clipped to [0,1]).
 *
 * `sample.gtDisparity` is not carried: a disparity map changes with the zoom and the flip mode, so adapters that want it
 * supervised should convert it to depth (focal * |baseline| / d) into `gtDepth`, which stays metric here.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Rng } from '../util/random.js';
import type { RgbdAugmentConfig } from './augment_rgbd.js';
import type { FloatMap, RgbImage, StereoSample, TeacherKind } from './types.js';

/** monodepth v1 `augment_image_pair` ranges: each factor ~ U[lo, hi]. */
export interface ColourV1Ranges {
  gamma: [number, number];
  brightness: [number, number];
  /** Per-channel multiplier, drawn independently for R, G, B. */
  channel: [number, number];
}

/** torchvision ColorJitter ranges as factor intervals (brightness b -> [1-b, 1+b]; hue in [-0.5, 0.5] of a turn). */
export interface ColourV2Ranges {
  brightness: [number, number];
  contrast: [number, number];
  saturation: [number, number];
  hue: [number, number];
}

/** monodepth v1: gamma U[0.8,1.2], brightness U[0.5,2.0], colour U[0.8,1.2] per channel. */
export const MONODEPTH_COLOUR_RANGES: Readonly<ColourV1Ranges> = deepFreeze({ gamma: [0.8, 1.2], brightness: [0.5, 2.0], channel: [0.8, 1.2] } as ColourV1Ranges);

/** monodepth2 (and DistDepth on VA): ColorJitter(0.2, 0.2, 0.2, 0.1). DistDepth on SimSIN/NYU uses hue [-0.3, 0.3]. */
export const MONODEPTH2_COLOUR_RANGES: Readonly<ColourV2Ranges> = deepFreeze({
  brightness: [0.8, 1.2],
  contrast: [0.8, 1.2],
  saturation: [0.8, 1.2],
  hue: [-0.1, 0.1],
} as ColourV2Ranges);

export type FlipMode = 'swap' | 'negate_baseline';
export type ColourMode = 'v1' | 'v2';

export interface AugmentConfig {
  /** swap = monodepth (left'=flip(right), right'=flip(left)); negate_baseline = monodepth2 (flip in place, baseline negated). */
  flip: { probability: number; mode: FlipMode };
  /** `mode` picks which of the two range sets is used. */
  colour: { probability: number; mode: ColourMode; v1: ColourV1Ranges; v2: ColourV2Ranges };
  /**
   * Crop window = scale * source size (same aspect up to integer rounding), scale ~ U[minScale, maxScale], uniform random
   * position, the same window for every frame of the sample; then resized to the output size. 0 < minScale <= maxScale <= 1.
   */
  crop: { probability: number; minScale: number; maxScale: number };
  /**
   * RGB-D supervised augmentation (augment_rgbd.ts: fast-depth's transform, the MAI depth-compensating crop). When its mode
   * is not 'none' it replaces flip/crop/colour above; the sample is treated as monocular (right view, neighbours dropped).
   */
  rgbd?: RgbdAugmentConfig;
}

/** Presets are shared module constants: frozen all the way down so a caller cannot change them for everyone. */
function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

function colourDefaults(mode: ColourMode, probability: number): AugmentConfig['colour'] {
  return { probability, mode, v1: structuredClone(MONODEPTH_COLOUR_RANGES) as ColourV1Ranges, v2: structuredClone(MONODEPTH2_COLOUR_RANGES) as ColourV2Ranges };
}

/** Plain resize to the output size, nothing random. */
export const NO_AUGMENTATION: AugmentConfig = deepFreeze({
  flip: { probability: 0, mode: 'negate_baseline' },
  colour: colourDefaults('v2', 0),
  crop: { probability: 0, minScale: 1, maxScale: 1 },
});

/** monodepth v1: flip+swap p 0.5, gamma/brightness/colour p 0.5 on the loss images, no crop. */
export const MONODEPTH_AUGMENTATION: AugmentConfig = deepFreeze({
  flip: { probability: 0.5, mode: 'swap' },
  colour: colourDefaults('v1', 0.5),
  crop: { probability: 0, minScale: 1, maxScale: 1 },
});

/** monodepth2: flip in place with negated baseline p 0.5, ColorJitter p 0.5 on the network input only, no crop. */
export const MONODEPTH2_AUGMENTATION: AugmentConfig = deepFreeze({
  flip: { probability: 0.5, mode: 'negate_baseline' },
  colour: colourDefaults('v2', 0.5),
  crop: { probability: 0, minScale: 1, maxScale: 1 },
});

/** torchvision ColorJitter operations, in the index order of its `fn_idx`. */
export type ColourJitterOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
const JITTER_OPS: readonly ColourJitterOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

export type ColourDraw =
  | { mode: 'v1'; gamma: number; brightness: number; channel: [number, number, number] }
  | { mode: 'v2'; order: ColourJitterOp[]; brightness: number; contrast: number; saturation: number; hue: number };

export interface CropWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AugmentDraw {
  flip: boolean;
  /** Integer window in source (left image) pixels, or null for the whole image. */
  crop: CropWindow | null;
  colour: ColourDraw | null;
}

/** Uniform numbers consumed by one drawAugmentation call, whatever the config and outcome (keeps streams aligned). */
export const AUGMENT_RNG_CALLS = 13;

function checkProbability(p: number, key: string): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`augment config: ${key} must be in [0, 1], got ${p}`);
}

function checkRange(r: [number, number], key: string): void {
  if (!Array.isArray(r) || r.length !== 2 || !(r[0] <= r[1])) throw new Error(`augment config: ${key} must be [lo, hi] with lo <= hi, got ${JSON.stringify(r)}`);
}

/** Throws naming the key at fault. */
export function validateAugmentConfig(cfg: AugmentConfig): void {
  checkProbability(cfg.flip.probability, 'flip.probability');
  if (cfg.flip.mode !== 'swap' && cfg.flip.mode !== 'negate_baseline') throw new Error(`augment config: flip.mode must be 'swap' or 'negate_baseline', got ${String(cfg.flip.mode)}`);
  checkProbability(cfg.colour.probability, 'colour.probability');
  if (cfg.colour.mode !== 'v1' && cfg.colour.mode !== 'v2') throw new Error(`augment config: colour.mode must be 'v1' or 'v2', got ${String(cfg.colour.mode)}`);
  for (const k of ['gamma', 'brightness', 'channel'] as const) checkRange(cfg.colour.v1[k], `colour.v1.${k}`);
  for (const k of ['brightness', 'contrast', 'saturation', 'hue'] as const) checkRange(cfg.colour.v2[k], `colour.v2.${k}`);
  checkProbability(cfg.crop.probability, 'crop.probability');
  const { minScale, maxScale } = cfg.crop;
  if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
    throw new Error(`augment config: crop needs 0 < minScale <= maxScale <= 1, got minScale ${minScale}, maxScale ${maxScale}`);
  }
}

const lerp = (range: [number, number], u: number): number => range[0] + (range[1] - range[0]) * u;

/**
 * Draws one sample's augmentation. Always consumes AUGMENT_RNG_CALLS numbers:
 * flip (1), crop on/scale/x/y (4), colour on (1), colour parameters (7: v1 uses 5, v2 uses 4 factors + 3 for the op order).
 */
export function drawAugmentation(rng: Rng, cfg: AugmentConfig, source: { width: number; height: number }): AugmentDraw {
  validateAugmentConfig(cfg);
  if (!(Number.isInteger(source.width) && Number.isInteger(source.height) && source.width > 0 && source.height > 0)) {
    throw new Error(`drawAugmentation: source size must be positive integers, got ${source.width}x${source.height}`);
  }
  const u = Array.from({ length: AUGMENT_RNG_CALLS }, () => rng.next());
  const flip = u[0]! < cfg.flip.probability;

  let crop: CropWindow | null = null;
  if (u[1]! < cfg.crop.probability) {
    const scale = cfg.crop.minScale + (cfg.crop.maxScale - cfg.crop.minScale) * u[2]!;
    const width = Math.min(source.width, Math.max(1, Math.round(scale * source.width)));
    const height = Math.min(source.height, Math.max(1, Math.round(scale * source.height)));
    crop = { x: Math.floor(u[3]! * (source.width - width + 1)), y: Math.floor(u[4]! * (source.height - height + 1)), width, height };
  }

  let colour: ColourDraw | null = null;
  const c = u.slice(6);
  if (u[5]! < cfg.colour.probability) {
    if (cfg.colour.mode === 'v1') {
      const r = cfg.colour.v1;
      colour = { mode: 'v1', gamma: lerp(r.gamma, c[0]!), brightness: lerp(r.brightness, c[1]!), channel: [lerp(r.channel, c[2]!), lerp(r.channel, c[3]!), lerp(r.channel, c[4]!)] };
    } else {
      // A random permutation of the four ops (torchvision randperm(4)) by Fisher-Yates on c[4..6].
      const order = [...JITTER_OPS];
      for (let i = order.length - 1, k = 4; i > 0; i--, k++) {
        const j = Math.floor(c[k]! * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const r = cfg.colour.v2;
      colour = { mode: 'v2', order, brightness: lerp(r.brightness, c[0]!), contrast: lerp(r.contrast, c[1]!), saturation: lerp(r.saturation, c[2]!), hue: lerp(r.hue, c[3]!) };
    }
  }
  return { flip, crop, colour };
}

// ---------------------------------------------------------------------------------------------------------------------
// Camera maths (pure numbers)

export interface AugmentedCamera {
  /** 3x3 row-major pixel intrinsics at the output size. */
  K: number[];
  baseline: number;
  /** Source width / crop width: the magnification of the crop on top of the plain resize (1 without crop). */
  zoom: number;
}

/**
 * Intrinsics after crop (integer window in source pixels), half-pixel-centre resize to `out` and an optional horizontal
 * flip, and the signed baseline after the flip mode. See the header for the formulas.
 */
export function augmentCamera(
  K: number[],
  baseline: number,
  source: { width: number; height: number },
  draw: Pick<AugmentDraw, 'flip' | 'crop'>,
  flipMode: FlipMode,
  out: { width: number; height: number },
): AugmentedCamera {
  if (K.length !== 9) throw new Error(`augmentCamera: K must be 9 numbers (3x3 row-major), got ${K.length}`);
  const win = draw.crop ?? { x: 0, y: 0, width: source.width, height: source.height };
  const kx = out.width / win.width;
  const ky = out.height / win.height;
  const fx = K[0]! * kx;
  const fy = K[4]! * ky;
  let cx = (K[2]! - win.x + 0.5) * kx - 0.5;
  const cy = (K[5]! - win.y + 0.5) * ky - 0.5;
  const skew = K[1]! * kx;
  if (draw.flip) cx = out.width - 1 - cx;
  return {
    // A flip mirrors x, so a (rare) skew term changes sign.
    K: [fx, draw.flip ? -skew : skew, cx, 0, fy, cy, 0, 0, 1],
    baseline: draw.flip && flipMode === 'negate_baseline' ? -baseline : baseline,
    zoom: source.width / win.width,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Colour (tf ops, leak-free, [H,W,3] in [0,1])

const clip01 = (x: tf.Tensor): tf.Tensor => tf.clipByValue(x, 0, 1);

/** monodepth v1: clip(I^gamma * brightness * colour_c, 0, 1). */
export function colourJitterV1(image: tf.Tensor3D, d: Extract<ColourDraw, { mode: 'v1' }>): tf.Tensor3D {
  return tf.tidy(() => {
    const gain = tf.tensor1d(d.channel.map((c) => c * d.brightness));
    return clip01(tf.mul(tf.pow(image, d.gamma), gain)) as tf.Tensor3D;
  });
}

/** torchvision rgb_to_grayscale weights (ITU-R 601-2 luma). */
const GREY_WEIGHTS = [0.2989, 0.587, 0.114];

function grey(image: tf.Tensor): tf.Tensor {
  return mixChannels(image, GREY_WEIGHTS.map((w) => [w]));
}

/** torchvision `_blend`: clip(factor * a + (1 - factor) * b, 0, 1). */
function blend(a: tf.Tensor, b: tf.Tensor | number, factor: number): tf.Tensor {
  return clip01(tf.add(tf.mul(a, factor), tf.mul(b, 1 - factor)));
}

/**
 * Per-pixel linear mixes of the channels: [.., 3] x [3, k] -> [.., k]. One matMul instead of slicing channels apart
 * (Slice/Pack are slow kernels on wasm: a hue turn of a 640x192 image took ~220 ms with unstack/stack, ~40 ms like this).
 */
function mixChannels(x: tf.Tensor, columns: number[][]): tf.Tensor {
  const k = columns[0]!.length;
  const flat = tf.reshape(x, [-1, 3]);
  return tf.reshape(tf.matMul(flat, tf.tensor2d(columns.flat(), [3, k])), [...x.shape.slice(0, -1), k]);
}

interface HsvParts {
  /** Hue in turns, [0, 1). Each part is [.., 1]. */
  h: tf.Tensor;
  s: tf.Tensor;
  v: tf.Tensor;
}

/** (G-B, B-R, R-G): the hue numerators when the maximum is R, G or B. */
const HUE_DIFFERENCES = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

/**
 * RGB -> HSV (colorsys / torchvision): v = max, s = (max - min) / max, hue sextant = (G-B)/delta if the maximum is R,
 * 2 + (B-R)/delta if G, 4 + (R-G)/delta if B (the hue is continuous, so ties may pick either); grey pixels get h = s = 0.
 */
function hsvParts(image: tf.Tensor): HsvParts {
  const v = tf.max(image, -1, true);
  const delta = tf.sub(v, tf.min(image, -1, true));
  const chromatic = tf.cast(tf.greater(delta, 0), 'float32');
  const s = tf.div(delta, tf.maximum(v, 1e-12)); // v = 0 implies delta = 0
  const safeDelta = tf.add(delta, tf.sub(1, chromatic));
  const maxIsChannel = tf.cast(tf.oneHot(tf.argMax(image, -1), 3), 'float32');
  const candidates = tf.add(tf.div(mixChannels(image, HUE_DIFFERENCES), safeDelta), tf.tensor1d([0, 2, 4]));
  const turns = tf.div(tf.sum(tf.mul(maxIsChannel, candidates), -1, true), 6);
  return { h: tf.mul(tf.sub(turns, tf.floor(turns)), chromatic), s, v };
}

/** HSV -> RGB: channel n of (R,G,B) = (5,3,1) is v - v*s*clip(min(k, 4-k), 0, 1) with k = (n + 6h) mod 6. */
function rgbFromHsvParts({ h, s, v }: HsvParts): tf.Tensor {
  const k0 = tf.add(tf.mul(h, 6), tf.tensor1d([5, 3, 1]));
  const k = tf.sub(k0, tf.mul(tf.floor(tf.div(k0, 6)), 6));
  const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
  return tf.sub(v, tf.mul(tf.mul(v, s), ramp));
}

/** RGB [.., 3] in [0,1] -> HSV [.., 3] with h in turns [0,1), s, v in [0,1]. */
export function rgbToHsv(image: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { h, s, v } = hsvParts(image);
    return tf.concat([h, s, v], -1);
  });
}

/** HSV [.., 3] (h in turns) -> RGB [.., 3]. */
export function hsvToRgb(hsv: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [h, s, v] = [0, 1, 2].map((c) => mixChannels(hsv, [0, 1, 2].map((r) => [r === c ? 1 : 0])));
    return rgbFromHsvParts({ h: h!, s: s!, v: v! });
  });
}

/** torchvision adjust_hue: rotate the hue by `shift` turns (in [-0.5, 0.5]), clipped to [0,1]. */
export function adjustHue(image: tf.Tensor3D, shift: number): tf.Tensor3D {
  return tf.tidy(() => {
    const parts = hsvParts(image);
    const moved = tf.add(parts.h, shift);
    return clip01(rgbFromHsvParts({ ...parts, h: tf.sub(moved, tf.floor(moved)) })) as tf.Tensor3D;
  });
}

/** torchvision ColorJitter with a fixed draw: the four ops in `d.order`, each clipped to [0,1]. */
export function colourJitterV2(image: tf.Tensor3D, d: Extract<ColourDraw, { mode: 'v2' }>): tf.Tensor3D {
  return tf.tidy(() => {
    let x: tf.Tensor = image;
    for (const op of d.order) {
      if (op === 'brightness') x = blend(x, 0, d.brightness);
      else if (op === 'contrast') x = blend(x, tf.mean(grey(x)), d.contrast);
      else if (op === 'saturation') x = blend(x, grey(x), d.saturation);
      else x = adjustHue(x as tf.Tensor3D, d.hue);
    }
    return x as tf.Tensor3D;
  });
}

function applyColour(image: tf.Tensor3D, d: ColourDraw): tf.Tensor3D {
  return d.mode === 'v1' ? colourJitterV1(image, d) : colourJitterV2(image, d);
}

// ---------------------------------------------------------------------------------------------------------------------
// Geometry of images and maps

export interface AugmentedSample {
  id: string;
  /** [H,W,3] float32 [0,1]: the images the LOSS sees (v1 colour applied here, to both views with the same draw). */
  left: tf.Tensor3D;
  right?: tf.Tensor3D;
  /** The NETWORK input (v2 colour applied only here); always a distinct tensor from `left` (dispose each). */
  leftInput: tf.Tensor3D;
  rightInput?: tf.Tensor3D;
  /** Temporal frames of the left view, same crop/flip/colour. Dropped by a swap flip (they belong to the new right view). */
  neighbours?: Record<number, { image: tf.Tensor3D; input: tf.Tensor3D }>;
  /** 3x3 row-major pixel intrinsics at the output size (pixel centres at integers; see the file header). */
  K: number[];
  /** K[0]. Pixel disparity at output size = focal * |baseline| / depth. */
  focal: number;
  /** Metres, signed: negated by negate_baseline flips, unchanged by swap flips. */
  baseline: number;
  flipped: boolean;
  /**
   * Source width / crop width (1 without crop): how much the crop magnifies on top of the plain source->output resize.
   * focal already contains it; a width-fraction disparity focal*|baseline|/(depth*W) is `zoom` times the uncropped one.
   */
  zoom: number;
  /** [H,W,1] metric depth of the left view at output size, nearest resampling (0 = invalid). Undefined after a swap flip. */
  gtDepth?: tf.Tensor3D;
  /** [H,W,1] bilinear, same crop/flip. Undefined after a swap flip. */
  teacher?: tf.Tensor3D;
  teacherKind?: TeacherKind;
}

/** Bytes -> [0,1] floats; the division runs as a tensor op (7x faster than a JS loop, same correctly rounded values). */
function imageTensor(img: RgbImage): tf.Tensor3D {
  return tf.tidy(() => tf.div(tf.tensor3d(new Float32Array(img.data), [img.height, img.width, 3]), 255));
}

/** Integer crop, half-pixel-centre bilinear resize to `out`, optional flip. */
function cropResizeFlip(x: tf.Tensor3D, win: CropWindow, out: { width: number; height: number }, flip: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = x.shape;
    let y: tf.Tensor3D = win.x === 0 && win.y === 0 && win.width === w && win.height === h ? x : tf.slice(x, [win.y, win.x, 0], [win.height, win.width, x.shape[2]]);
    if (win.width !== out.width || win.height !== out.height) y = tf.image.resizeBilinear(y, [out.height, out.width], false, true);
    if (flip) y = tf.reverse(y, 1);
    return y === x ? tf.clone(x) : y;
  });
}

/**
 * Nearest-neighbour resampling of a map (any resolution covering the same field of view as the source image) onto the
 * output grid: output pixel centre -> crop -> source -> map coordinates (pixel centres at integers), rounded to the
 * nearest map pixel. Values are copied, never mixed, so sparse GT stays exact and 0 stays invalid.
 */
export function resampleMapNearest(map: FloatMap, source: { width: number; height: number }, win: CropWindow, out: { width: number; height: number }, flip: boolean): Float32Array {
  const index = (o: number, outSize: number, start: number, size: number, srcSize: number, mapSize: number): number => {
    const s = start + (o + 0.5) * (size / outSize) - 0.5; // source pixel coordinate
    const m = (s + 0.5) * (mapSize / srcSize) - 0.5; // map pixel coordinate
    return Math.min(mapSize - 1, Math.max(0, Math.round(m)));
  };
  const cols = Array.from({ length: out.width }, (_, j) => index(flip ? out.width - 1 - j : j, out.width, win.x, win.width, source.width, map.width));
  const rows = Array.from({ length: out.height }, (_, i) => index(i, out.height, win.y, win.height, source.height, map.height));
  const res = new Float32Array(out.width * out.height);
  for (let i = 0; i < out.height; i++) {
    const base = rows[i]! * map.width;
    for (let j = 0; j < out.width; j++) res[i * out.width + j] = map.data[base + cols[j]!]!;
  }
  return res;
}

function checkSize(what: string, id: string, got: { width: number; height: number }, want: { width: number; height: number }): void {
  if (got.width !== want.width || got.height !== want.height) {
    throw new Error(`augmentSample(${id}): ${what} is ${got.width}x${got.height}, expected the left image size ${want.width}x${want.height}`);
  }
}

/**
 * Applies one draw to a sample and returns tensors at the output size (every tensor is new; the caller disposes them).
 * `cfg` supplies the flip mode; the colour mode comes from the draw.
 */
export function augmentSample(sample: StereoSample, draw: AugmentDraw, cfg: AugmentConfig, out: { height: number; width: number }): AugmentedSample {
  if (!(Number.isInteger(out.width) && Number.isInteger(out.height) && out.width > 0 && out.height > 0)) {
    throw new Error(`augmentSample(${sample.id}): output size must be positive integers, got ${out.width}x${out.height}`);
  }
  const source = { width: sample.left.width, height: sample.left.height };
  checkSize('camera', sample.id, sample.camera, source);
  if (sample.right) checkSize('right image', sample.id, sample.right, source);
  for (const [k, img] of Object.entries(sample.neighbours ?? {})) checkSize(`neighbour ${k}`, sample.id, img, source);
  const win = draw.crop ?? { x: 0, y: 0, width: source.width, height: source.height };
  if (!(Number.isInteger(win.x) && Number.isInteger(win.y) && win.x >= 0 && win.y >= 0 && win.width >= 1 && win.height >= 1 && win.x + win.width <= source.width && win.y + win.height <= source.height)) {
    throw new Error(`augmentSample(${sample.id}): crop ${JSON.stringify(win)} is not an integer window inside ${source.width}x${source.height}`);
  }

  const flipMode = cfg.flip.mode;
  // A swap needs a partner view; a monocular sample is flipped in place.
  const swap = draw.flip && flipMode === 'swap' && sample.right !== undefined;
  const cam = augmentCamera(sample.camera.K, sample.camera.baseline, source, draw, flipMode, out);

  const colour = draw.colour;
  /** Loss image and network input of one frame. */
  const frame = (img: RgbImage): { image: tf.Tensor3D; input: tf.Tensor3D } => {
    const geometric = tf.tidy(() => cropResizeFlip(imageTensor(img), win, out, draw.flip));
    if (!colour) return { image: geometric, input: tf.clone(geometric) };
    const jittered = applyColour(geometric, colour);
    if (colour.mode === 'v1') {
      geometric.dispose();
      return { image: jittered, input: tf.clone(jittered) };
    }
    return { image: geometric, input: jittered };
  };

  const leftSource = swap ? sample.right! : sample.left;
  const rightSource = swap ? sample.left : sample.right;
  const left = frame(leftSource);
  const right = rightSource ? frame(rightSource) : undefined;

  const result: AugmentedSample = {
    id: sample.id,
    left: left.image,
    leftInput: left.input,
    K: cam.K,
    focal: cam.K[0]!,
    baseline: cam.baseline,
    flipped: draw.flip,
    zoom: cam.zoom,
  };
  if (right) {
    result.right = right.image;
    result.rightInput = right.input;
  }
  if (swap) return result; // GT, teacher and neighbours describe the old left view, now the right one.

  if (sample.neighbours) {
    result.neighbours = {};
    for (const [k, img] of Object.entries(sample.neighbours)) result.neighbours[Number(k)] = frame(img);
  }
  if (sample.gtDepth) {
    result.gtDepth = tf.tensor3d(resampleMapNearest(sample.gtDepth, source, win, out, draw.flip), [out.height, out.width, 1]);
  }
  if (sample.teacher) {
    const t = sample.teacher;
    result.teacher = tf.tidy(() => {
      let map = tf.tensor3d(t.data, [t.height, t.width, 1]);
      // A teacher at another resolution is first brought to the source grid, so one crop window serves every map.
      if (t.width !== source.width || t.height !== source.height) map = tf.image.resizeBilinear(map, [source.height, source.width], false, true);
      return cropResizeFlip(map, win, out, draw.flip);
    });
    if (sample.teacherKind) result.teacherKind = sample.teacherKind;
  }
  return result;
}

/** Disposes every tensor of an augmented sample. */
export function disposeAugmentedSample(s: AugmentedSample): void {
  const ts: (tf.Tensor | undefined)[] = [s.left, s.right, s.leftInput, s.rightInput, s.gtDepth, s.teacher];
  for (const n of Object.values(s.neighbours ?? {})) ts.push(n.image, n.input);
  for (const t of ts) t?.dispose();
}
