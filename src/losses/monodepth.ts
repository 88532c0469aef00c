/**
 * monodepth (v1) total loss (Godard et al., CVPR 2017, Eq. 1-5; mrharicot/monodepth `monodepth_model.py build_losses`),
 * ANCHORS.md §3.2. Disparities are fractions of the image width; left view = sampler(right, -d_l), right = sampler(left, +d_r).
 */
import * as tf from '@tensorflow/tfjs-core';

import { bilinearSampler1dH, type HorizontalSamplerMode } from '../geometry/sampler.js';
import type { LossResult } from './monodepth2.js';
import { ssim, type SsimPadding, smoothnessLoss } from './photometric.js';

export interface MonodepthLossOptions {
  alpha: number;
  smoothnessWeight: number;
  lrWeight: number;
  samplerMode: HorizontalSamplerMode;
  ssimPadding: SsimPadding;
  /**
   * 'xy' per ANCHORS §3.2. The TF code returns `smoothness_x + smoothness_y` as a Python list concatenation and then averages
   * only the first 4 entries, i.e. only the x-terms; 'x' reproduces that behaviour of the code.
   */
  smoothnessTerms: 'xy' | 'x';
}

export const MONODEPTH_PRESET: MonodepthLossOptions = {
  alpha: 0.85,
  smoothnessWeight: 0.1,
  lrWeight: 1.0,
  samplerMode: 'border',
  ssimPadding: 'valid',
  smoothnessTerms: 'xy',
};

export interface MonodepthLossInputs {
  /** Left/right image pyramids (area-resized to H/2^s), index 0 = full res. */
  leftPyramid: tf.Tensor4D[];
  rightPyramid: tf.Tensor4D[];
  /** Disparities (width fractions) at each scale [B,H/2^s,W/2^s,1]. */
  dispLeft: tf.Tensor4D[];
  dispRight: tf.Tensor4D[];
}

/**
 * Per scale: C_ap = alpha * mean(SSIM_valid) + (1 - alpha) * mean L1 for each view; C_ds = smoothness(raw disparity) / 2^s;
 * C_lr = mean |d_l - sampler(d_r, -d_l)| (and the right counterpart). Total = sum_s [C_ap + 0.1 C_ds + 1.0 C_lr] (not averaged).
 */
export function monodepthLoss(inputs: MonodepthLossInputs, options: Partial<MonodepthLossOptions> = {}): LossResult {
  const o: MonodepthLossOptions = { ...MONODEPTH_PRESET, ...options };
  const n = inputs.dispLeft.length;
  for (const [k, v] of Object.entries(inputs)) if ((v as tf.Tensor4D[]).length !== n) throw new Error(`monodepthLoss: ${k} has ${(v as tf.Tensor4D[]).length} scales, expected ${n}`);
  const parts: Record<string, tf.Scalar> = {};
  const total = tf.tidy(() => {
    let image: tf.Tensor = tf.scalar(0);
    let smooth: tf.Tensor = tf.scalar(0);
    let lr: tf.Tensor = tf.scalar(0);
    for (let s = 0; s < n; s++) {
      const L = inputs.leftPyramid[s];
      const R = inputs.rightPyramid[s];
      const dl = inputs.dispLeft[s];
      const dr = inputs.dispRight[s];
      const leftEst = bilinearSampler1dH(R, tf.neg(dl) as tf.Tensor4D, o.samplerMode, false); // images are inputs
      const rightEst = bilinearSampler1dH(L, dr, o.samplerMode, false);
      const ap = (est: tf.Tensor4D, ref: tf.Tensor4D) =>
        tf.add(tf.mul(tf.mean(ssim(est, ref, o.ssimPadding)), o.alpha), tf.mul(tf.mean(tf.abs(tf.sub(est, ref))), 1 - o.alpha));
      image = tf.add(image, tf.add(ap(leftEst, L), ap(rightEst, R)));
      const ds = tf.div(
        tf.add(smoothnessLoss(dl, L, { terms: o.smoothnessTerms }), smoothnessLoss(dr, R, { terms: o.smoothnessTerms })),
        2 ** s,
      );
      smooth = tf.add(smooth, ds);
      const rToL = bilinearSampler1dH(dr, tf.neg(dl) as tf.Tensor4D, o.samplerMode);
      const lToR = bilinearSampler1dH(dl, dr, o.samplerMode);
      lr = tf.add(lr, tf.add(tf.mean(tf.abs(tf.sub(rToL, dl))), tf.mean(tf.abs(tf.sub(lToR, dr)))));
    }
    parts.image = tf.keep(image) as tf.Scalar;
    parts.smoothness = tf.keep(smooth) as tf.Scalar;
    parts.lrConsistency = tf.keep(lr) as tf.Scalar;
    return tf.add(tf.add(image, tf.mul(smooth, o.smoothnessWeight)), tf.mul(lr, o.lrWeight)) as tf.Scalar;
  });
  return { total, parts };
}

/**
 * monodepth v1 left-right consistency for one scale: mean|d_l - sampler(d_r, -d_l)| + mean|d_r - sampler(d_l, +d_r)|.
 * Differentiates through both the sampled disparity and the sampling offset.
 */
export function lrConsistencyLoss(dispLeft: tf.Tensor4D, dispRight: tf.Tensor4D, samplerMode: HorizontalSamplerMode = 'border'): tf.Scalar {
  return tf.tidy(() => {
    const rToL = bilinearSampler1dH(dispRight, tf.neg(dispLeft) as tf.Tensor4D, samplerMode);
    const lToR = bilinearSampler1dH(dispLeft, dispRight, samplerMode);
    return tf.add(tf.mean(tf.abs(tf.sub(rToL, dispLeft))), tf.mean(tf.abs(tf.sub(lToR, dispRight)))) as tf.Scalar;
  });
}
