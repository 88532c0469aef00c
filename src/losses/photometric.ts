/**
 * Photometric building blocks shared by monodepth, monodepth2 and DistDepth (ANCHORS.md §3.1, §3.3). NHWC, images in [0,1].
 */
import * as tf from '@tensorflow/tfjs-core';

import { meanPool3x3 } from '../backend/mean_pool.js';
import { reflectPad } from '../backend/reflect_pad.js';
import type { Rng } from '../util/random.js';

export type SsimPadding = 'reflect' | 'valid';

const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

/**
 * Per-pixel, per-channel SSIM *loss* map clip((1 - SSIM)/2, 0, 1) with 3x3 mean pooling, stride 1, C1 = 0.01^2, C2 = 0.03^2.
 * 'reflect' = monodepth2 `layers.SSIM` (ReflectionPad2d(1), map H x W); 'valid' = monodepth v1 `SSIM` (VALID pooling,
 * map (H-2) x (W-2)). 0 means identical.
 */
export function ssim(x: tf.Tensor4D, y: tf.Tensor4D, padding: SsimPadding = 'reflect'): tf.Tensor4D {
  if (x.shape.join() !== y.shape.join()) throw new Error(`ssim: x [${x.shape}] and y [${y.shape}] must have the same shape`);
  return tf.tidy(() => {
    const pad = (t: tf.Tensor4D): tf.Tensor4D => (padding === 'reflect' ? reflectPad1(t) : t);
    const xp = pad(x);
    const yp = pad(y);
    const pool = meanPool3x3;
    const muX = pool(xp);
    const muY = pool(yp);
    const sigmaX = tf.sub(pool(tf.mul(xp, xp)), tf.mul(muX, muX));
    const sigmaY = tf.sub(pool(tf.mul(yp, yp)), tf.mul(muY, muY));
    const sigmaXY = tf.sub(pool(tf.mul(xp, yp)), tf.mul(muX, muY));
    const n = tf.mul(tf.add(tf.mul(tf.mul(muX, muY), 2), C1), tf.add(tf.mul(sigmaXY, 2), C2));
    const d = tf.mul(tf.add(tf.add(tf.mul(muX, muX), tf.mul(muY, muY)), C1), tf.add(tf.add(sigmaX, sigmaY), C2));
    return tf.clipByValue(tf.div(tf.sub(1, tf.div(n, d)), 2), 0, 1) as tf.Tensor4D;
  });
}

/**
 * ReflectionPad2d(1). tfjs's MirrorPad gradient is wrong (4.22.0), so this is src/backend/reflect_pad.ts: one kernel each
 * way on wasm/cpu with gradients bit-identical to the slices + concat it replaces (which other backends still use).
 */
export function reflectPad1(t: tf.Tensor4D): tf.Tensor4D {
  return reflectPad(t, 1);
}

export interface PhotometricOptions {
  /** SSIM weight alpha (0.85 in monodepth/monodepth2). */
  alpha: number;
  /** monodepth2 `--no_ssim`: L1 only. */
  noSsim: boolean;
}
export const PHOTOMETRIC_DEFAULTS: PhotometricOptions = { alpha: 0.85, noSsim: false };

/**
 * monodepth2 `Trainer.compute_reprojection_loss`: per-pixel 0.85 * mean_c SSIM(pred, target) + 0.15 * mean_c |target - pred|
 * (reflect-padded SSIM), shape [B,H,W,1]. With noSsim: mean_c |target - pred|.
 */
export function photometricError(pred: tf.Tensor4D, target: tf.Tensor4D, options: Partial<PhotometricOptions> = {}): tf.Tensor4D {
  const o = { ...PHOTOMETRIC_DEFAULTS, ...options };
  return tf.tidy(() => {
    const l1 = tf.mean(tf.abs(tf.sub(target, pred)), -1, true);
    if (o.noSsim) return l1 as tf.Tensor4D;
    const s = tf.mean(ssim(pred, target, 'reflect'), -1, true);
    return tf.add(tf.mul(s, o.alpha), tf.mul(l1, 1 - o.alpha)) as tf.Tensor4D;
  });
}

/** Forward differences f[x] - f[x+1] along width and height (ANCHORS §3 notation). */
function gradX(t: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  return tf.sub(tf.slice(t, [0, 0, 0, 0], [b, h, w - 1, c]), tf.slice(t, [0, 0, 1, 0], [b, h, w - 1, c]));
}
function gradY(t: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  return tf.sub(tf.slice(t, [0, 0, 0, 0], [b, h - 1, w, c]), tf.slice(t, [0, 1, 0, 0], [b, h - 1, w, c]));
}

export interface SmoothnessOptions {
  /** monodepth2: divide disparity by its per-image spatial mean (+1e-7) first. */
  normalize: boolean;
  /** 'xy' = both terms (monodepth2 `get_smooth_loss`); 'x' = x-term only. */
  terms: 'xy' | 'x';
}

/**
 * Edge-aware smoothness, monodepth2 `layers.get_smooth_loss` (and monodepth v1 `get_disparity_smoothness`):
 * mean(|dx d| * exp(-mean_c |dx I|)) + mean(|dy d| * exp(-mean_c |dy I|)), each mean over its own (W-1)/(H-1) grid.
 * With `normalize`, d* = d / (mean_{H,W} d + 1e-7) per image, as `Trainer.compute_losses` does. disp [B,H,W,1], image
 * [B,H,W,C] at the same size.
 */
export function smoothnessLoss(disp: tf.Tensor4D, image: tf.Tensor4D, options: Partial<SmoothnessOptions> = {}): tf.Scalar {
  const o: SmoothnessOptions = { normalize: false, terms: 'xy', ...options };
  if (disp.shape[1] !== image.shape[1] || disp.shape[2] !== image.shape[2]) {
    throw new Error(`smoothnessLoss: disparity [${disp.shape}] and image [${image.shape}] must have the same H, W (resize the image to the disparity's scale)`);
  }
  return tf.tidy(() => {
    const d = o.normalize ? (tf.div(disp, tf.add(tf.mean(tf.mean(disp, 1, true), 2, true), 1e-7)) as tf.Tensor4D) : disp;
    const termX = tf.mean(tf.mul(tf.abs(gradX(d)), tf.exp(tf.neg(tf.mean(tf.abs(gradX(image)), -1, true)))));
    if (o.terms === 'x') return termX as tf.Scalar;
    const termY = tf.mean(tf.mul(tf.abs(gradY(d)), tf.exp(tf.neg(tf.mean(tf.abs(gradY(image)), -1, true)))));
    return tf.add(termX, termY) as tf.Scalar;
  });
}

/**
 * Per-pixel minimum of maps ([..., 1] each) with torch.min semantics over their concatenation along the last axis: the
 * gradient goes only to the first minimal map (tf.min would split it among ties). The maps stay apart: the minimum by
 * tf.minimum, the first minimal map by strict comparisons (a later map wins only where it is smaller than all before it).
 * Returns the minimum and the index of the winning map (float32, integer-valued, no gradient). Planes rather than a
 * last-axis concat: TensorFlow runs that concat, ArgMin and an Equal against a range at 2-4 ms each for [16,96,320,2],
 * against ~0.2 ms for an element-wise op on a plane.
 */
export function minOfMaps(maps: tf.Tensor[]): { min: tf.Tensor; index: tf.Tensor } {
  const index = tf.tidy(() => {
    let best = maps[0]!;
    let idx: tf.Tensor | null = null;
    maps.slice(1).forEach((m, j) => {
      const better = tf.step(tf.sub(best, m)); // 1 where m < best
      idx = idx === null ? better : tf.add(idx, tf.mul(better, tf.sub(j + 1, idx)));
      best = tf.minimum(best, m);
    });
    return idx ?? tf.zerosLike(best);
  });
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xs = args as tf.Tensor[];
    save([index]);
    return {
      value: xs.slice(1).reduce((m, p) => tf.minimum(m, p), xs[0]!),
      // (index == i) as relu(1 - |index - i|): exactly 1 or 0 for the integer-valued index.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => xs.map((_, i) => tf.mul(dy, tf.relu(tf.sub(1, tf.abs(tf.sub(saved[0]!, i)))))),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return { min: f(...maps), index };
}

export interface MinReprojectionOptions {
  /** monodepth2 `--avg_reprojection`: average the sources instead of taking the minimum. */
  avgReprojection: boolean;
  /** monodepth2 auto-masking (identity losses concatenated first). */
  automask: boolean;
  /** Tie-break noise N(0,1) * 1e-5 added to the identity losses (the reference always adds it); null = off (deterministic). */
  tieBreakRng: Rng | null;
}

/**
 * monodepth2 `Trainer.compute_losses` per-pixel selection: identity losses (unwarped sources, optionally averaged, + optional
 * noise) are concatenated BEFORE the reprojection losses; the per-pixel min over all is optimised. identitySelection =
 * (argmin >= #identity channels), i.e. 1 where a warped source wins (the auto-mask). Inputs are [B,H,W,1] maps.
 */
export function minReprojection(
  reprojection: tf.Tensor4D[],
  identity: tf.Tensor4D[],
  options: Partial<MinReprojectionOptions> = {},
): { perPixel: tf.Tensor4D; identitySelection: tf.Tensor4D | null } {
  const o: MinReprojectionOptions = { avgReprojection: false, automask: true, tieBreakRng: null, ...options };
  const out = tf.tidy(() => {
    const averaged = (ts: tf.Tensor4D[]): tf.Tensor4D[] => (o.avgReprojection ? [tf.mean(tf.concat(ts, -1), -1, true) as tf.Tensor4D] : ts);
    const rep = averaged(reprojection);
    let id = o.automask ? averaged(identity) : [];
    if (o.tieBreakRng && id.length > 0) {
      // Map j of the concatenation [..., k] gets the noise values j, j + k, j + 2k, ...
      const k = id.length;
      const noise = tieBreakNoise(o.tieBreakRng, id[0]!.size * k);
      id = id.map((t, j) => tf.add(t, tf.tensor(noise.filter((_, i) => i % k === j), t.shape)) as tf.Tensor4D);
    }
    const maps = [...id, ...rep];
    if (maps.length === 1) return { perPixel: tf.clone(maps[0]!) };
    const { min, index } = minOfMaps(maps);
    if (!o.automask) return { perPixel: min as tf.Tensor4D };
    return { perPixel: min as tf.Tensor4D, identitySelection: tf.step(tf.sub(index, id.length - 0.5)) as tf.Tensor4D };
  }) as { perPixel: tf.Tensor4D; identitySelection?: tf.Tensor4D };
  return { perPixel: out.perPixel, identitySelection: out.identitySelection ?? null };
}

/** The identity losses' tie-break noise N(0,1) * 1e-5, drawn in the order of their concatenation along the last axis. */
function tieBreakNoise(rng: Rng, size: number): Float32Array {
  const noise = new Float32Array(size);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal() * 1e-5;
  return noise;
}
