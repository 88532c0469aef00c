/**
 * monodepth2 total self-supervised loss (Godard et al., ICCV 2019; nianticlabs/monodepth2 `trainer.py` generate_images_pred +
 * compute_losses), ANCHORS.md §3.3. Also the self-supervised part of DistDepth (§3.4 with depthScale 1.312).
 */
import * as tf from '@tensorflow/tfjs-core';

import { batchMat4, dispToDepth, invertMat4, isPureXTranslation, type Mat4, scaleIntrinsics, warpByDepth } from '../geometry/camera.js';
import { resizeBilinearTorch } from '../geometry/resize.js';
import type { Rng } from '../util/random.js';
import { minReprojection, photometricError, smoothnessLoss } from './photometric.js';

/**
 * What every loss returns. `parts` (and `maps`) are extra tensors kept for logging: the caller owns and must dispose them,
 * including when the loss is evaluated inside tf.grad / tf.variableGrads.
 */
export interface LossResult {
  total: tf.Scalar;
  parts: Record<string, tf.Scalar>;
  /** Optional per-pixel maps for logging (e.g. `identitySelection/0`); the caller disposes them. */
  maps?: Record<string, tf.Tensor>;
}

export interface Monodepth2LossOptions {
  minDepth: number;
  maxDepth: number;
  /** Multiplier applied to the depth before warping (DistDepth: 1.312); 1 in monodepth2. */
  depthScale: number;
  /** Weight of the edge-aware smoothness of the mean-normalised disparity, divided by 2^s. */
  smoothnessWeight: number;
  /**
   * grid_sample align_corners. The code normalises the grid by (W-1) (written for align_corners=True, PyTorch 0.4.1) but
   * calls grid_sample without the flag, so on PyTorch >= 1.3 it runs with False. Both are reproducible.
   */
  alignCorners: boolean;
  noSsim: boolean;
  avgReprojection: boolean;
  automask: boolean;
  /** Identity-loss tie-break noise; null = off (the reference always adds N(0,1)*1e-5). */
  tieBreakRng: Rng | null;
  /** Use the 1-D row sampler for pure x-translation sources (only with alignCorners true). */
  horizontalFastPath: boolean;
  /** Return the per-scale auto-mask maps. */
  returnMaps: boolean;
}

/** monodepth2 as it runs on modern PyTorch (align_corners=False inside grid_sample). */
export const MONODEPTH2_PRESET: Monodepth2LossOptions = {
  minDepth: 0.1,
  maxDepth: 100,
  depthScale: 1,
  smoothnessWeight: 1e-3,
  alignCorners: false,
  noSsim: false,
  avgReprojection: false,
  automask: true,
  tieBreakRng: null,
  horizontalFastPath: false,
  returnMaps: false,
};
/** monodepth2 as written for PyTorch 0.4.1 (grid normalised by W-1 and sampled with align_corners=True). */
export const MONODEPTH2_AS_WRITTEN_PRESET: Monodepth2LossOptions = { ...MONODEPTH2_PRESET, alignCorners: true };
/** DistDepth's self-supervised part (execute_func.py): depth = 1.312 / scaled disparity. */
export const DISTDEPTH_SELF_SUPERVISED_PRESET: Monodepth2LossOptions = { ...MONODEPTH2_PRESET, depthScale: 1.312 };

export interface Monodepth2Source {
  /** Name for logging, e.g. 's', '-1', '1'. */
  name: string;
  /** Source colour image at full resolution [B,H,W,3]. */
  image: tf.Tensor4D;
  /** Target -> source camera transform: a 4x4 (e.g. stereoTransform('l', flipped)) or [B,4,4] (PoseNet output). */
  T: Mat4 | tf.Tensor3D;
}

export interface Monodepth2LossInputs {
  /** Target colour image at full resolution [B,H,W,3]. */
  target: tf.Tensor4D;
  /**
   * Target colour image at each scale s (index 0 = full res, then H/2^s x W/2^s), used only by the smoothness term. monodepth2
   * builds these in the data loader with an antialiased (PIL) resize; pass the pyramid your loader made.
   */
  targetPyramid: tf.Tensor4D[];
  /** Sigmoid disparity outputs at each scale [B,H/2^s,W/2^s,1]. */
  disparities: tf.Tensor4D[];
  sources: Monodepth2Source[];
  /** Intrinsics normalised by width/height (row 0 / W, row 1 / H), e.g. KITTI_NORMALISED_K; scaled here to full res. */
  normalisedK: Mat4;
}

/**
 * Per scale s: disp_s is bilinearly upsampled to H x W (align_corners=False), depth = depthScale / scaled sigmoid, each source is
 * warped with BackprojectDepth/Project3D and grid_sample(padding 'border'); L_p = mean over pixels of the min reprojection (with
 * auto-masking); L_s = smoothness of disp_s / mean(disp_s) against targetPyramid[s]; L^s = L_p + w * L_s / 2^s. total = mean_s L^s.
 */
export function monodepth2Loss(inputs: Monodepth2LossInputs, options: Partial<Monodepth2LossOptions> = {}): LossResult {
  const o: Monodepth2LossOptions = { ...MONODEPTH2_PRESET, ...options };
  const { target, disparities, sources } = inputs;
  const [b, h, w] = target.shape;
  if (disparities.length === 0) throw new Error('monodepth2Loss: no disparities given');
  if (inputs.targetPyramid.length < disparities.length) {
    throw new Error(`monodepth2Loss: targetPyramid has ${inputs.targetPyramid.length} scales, disparities ${disparities.length}`);
  }
  if (sources.length === 0) throw new Error('monodepth2Loss: need at least one source frame');
  const maps: Record<string, tf.Tensor> = {};
  const parts: Record<string, tf.Scalar> = {};
  const n = disparities.length;
  const total = tf.tidy(() => {
    // Every scale's disparity is upsampled to H x W, so the scales are warped and compared as ONE batch of n*B images
    // (scale-major): a quarter of the kernel calls of a loop over scales, each on data the backend can split across
    // threads. Per-pixel arithmetic is unchanged; the per-scale means are taken over each scale's own block.
    const K = scaleIntrinsics(inputs.normalisedK, w, h);
    const Kt = batchMat4(K, n * b);
    const invKt = batchMat4(invertMat4(K), n * b);
    const Ts = sources.map((s) => repeatScales(batchMat4(s.T, b), n));
    const identity = o.automask ? sources.map((s) => repeatScales(photometricError(s.image, target, { noSsim: o.noSsim }), n)) : [];
    const up = tf.concat(disparities.map((d) => (d.shape[1] === h && d.shape[2] === w ? d : resizeBilinearTorch(d, h, w))), 0);
    const depth = tf.mul(dispToDepth(up, o.minDepth, o.maxDepth).depth, o.depthScale) as tf.Tensor4D;
    const targets = repeatScales(target, n);
    const reprojection = sources.map((s, i) => {
      const { warped } = warpByDepth(repeatScales(s.image, n), depth, Kt, invKt, Ts[i], {
        alignCorners: o.alignCorners,
        padding: 'border',
        imageGradient: false, // sources are inputs
        horizontalFastPath: o.horizontalFastPath && o.alignCorners && !(s.T instanceof tf.Tensor) && isPureXTranslation(s.T),
      });
      return photometricError(warped, targets, { noSsim: o.noSsim });
    });
    // The tie-break noise is drawn for the n*B stack in one go: the same numbers, in the same order, as scale by scale.
    const sel = minReprojection(reprojection, identity, { avgReprojection: o.avgReprojection, automask: o.automask, tieBreakRng: o.tieBreakRng });
    const reprojectionLosses = tf.unstack(tf.mean(tf.reshape(sel.perPixel, [n, -1]), 1));
    let sum: tf.Tensor = tf.scalar(0);
    disparities.forEach((disp, scale) => {
      const reprojectionLoss = reprojectionLosses[scale] as tf.Scalar;
      const smooth = smoothnessLoss(disp, inputs.targetPyramid[scale], { normalize: true });
      const perScale = tf.add(reprojectionLoss, tf.mul(smooth, o.smoothnessWeight / 2 ** scale)) as tf.Scalar;
      parts[`reprojection/${scale}`] = tf.keep(reprojectionLoss);
      parts[`smoothness/${scale}`] = tf.keep(smooth);
      parts[`loss/${scale}`] = tf.keep(perScale);
      if (o.returnMaps && sel.identitySelection) maps[`identitySelection/${scale}`] = tf.keep(tf.slice(sel.identitySelection, [scale * b, 0, 0, 0], [b, -1, -1, -1]));
      sum = tf.add(sum, perScale);
    });
    return tf.div(sum, n) as tf.Scalar;
  });
  return o.returnMaps ? { total, parts, maps } : { total, parts };
}

/**
 * [B,...] -> [n*B,...]: n copies along the batch, one per scale. A concat of n copies rather than tf.tile: the same
 * values (and the same gradient sums, copy by copy in order), but TensorFlow's Tile copies a [4,96,320,3] image ~2.5 ms
 * slower (wasm: no slower).
 */
function repeatScales<T extends tf.Tensor>(t: T, n: number): T {
  return (n === 1 ? t : tf.concat(new Array<T>(n).fill(t), 0)) as T;
}
