/**
 * Stereo augmentation settings and the per-sample random draw: the config (flip, colour, crop, RGB-D), its presets
 * (none, monodepth, monodepth2) and validation, and drawAugmentation, which turns an Rng into one sample's AugmentDraw.
 * Applying a draw is augment.ts (geometry, camera) and augment_colour.ts (colour ops).
 */
import type { Rng } from '../util/random.js';
import type { RgbdAugmentConfig } from './augment_rgbd.js';

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
