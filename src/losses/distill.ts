/**
 * DistDepth structure distillation (Wu et al., CVPR 2022 "Toward Practical Monocular Indoor Depth Estimation", Sec. 3.2;
 * facebookresearch/DistDepth `execute_func.py compute_losses` @ 4f6ce24), ANCHORS.md §3.4. Depths [B,H,W,1] in metric range.
 */
import * as tf from '@tensorflow/tfjs-core';

import { quantile } from '../util/quantile.js';

export { quantile } from '../util/quantile.js';

import type { LossResult } from './monodepth2.js';
import { ssim } from './photometric.js';

export type AlignmentMethod = 'lstsqRows' | 'lstsq' | 'medianRatio' | 'moments';

/**
 * Scale-and-shift alignment of the teacher depth onto the student depth, detached (plain numbers, no gradient):
 * - 'lstsqRows' (DistDepth HEAD): least squares [D_T, 1]·(a, t) ≈ D_S on every image row, then a, t = nanmean over rows and batch;
 * - 'lstsq': one least-squares fit over all pixels of the batch;
 * - 'medianRatio' (DistDepth ≤ 2023): a = median(D_S) / median(D_T), t = 0;
 * - 'moments' (not in DistDepth): a = sign(cov)·std(D_S) / std(D_T), t = mean(D_S) − a·mean(D_T) over the batch. Least squares
 *   gives the aligned teacher std = ρ·std(D_S) (ρ = correlation < 1 for an imperfect teacher), so SSIM's contrast term then
 *   pulls the student's std down by ρ at every step and the student flattens; matching the moments keeps the stds equal.
 */
export function alignScaleShift(teacherDepth: tf.Tensor4D, studentDepth: tf.Tensor4D, method: AlignmentMethod = 'lstsqRows'): { scale: number; shift: number } {
  const [b, h, w] = teacherDepth.shape;
  const T = teacherDepth.dataSync();
  const S = studentDepth.dataSync();
  const fit = (from: number, to: number): [number, number] => {
    let st = 0, ss = 0, stt = 0, sts = 0;
    const n = to - from;
    for (let i = from; i < to; i++) {
      st += T[i]; ss += S[i]; stt += T[i] * T[i]; sts += T[i] * S[i];
    }
    const den = n * stt - st * st;
    if (Math.abs(den) < 1e-12 * Math.max(1, n * stt)) return [NaN, NaN];
    const a = (n * sts - st * ss) / den;
    return [a, (ss - a * st) / n];
  };
  if (method === 'medianRatio') {
    const med = (x: Float32Array | Int32Array | Uint8Array) => {
      const s = Array.from(x).sort((p, q) => p - q);
      const m = s.length >> 1;
      return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    };
    return { scale: med(S) / med(T), shift: 0 };
  }
  if (method === 'moments') {
    let mt = 0, ms = 0;
    for (let i = 0; i < T.length; i++) { mt += T[i]; ms += S[i]; }
    mt /= T.length; ms /= T.length;
    let vt = 0, vs = 0, cov = 0;
    for (let i = 0; i < T.length; i++) { vt += (T[i] - mt) ** 2; vs += (S[i] - ms) ** 2; cov += (T[i] - mt) * (S[i] - ms); }
    if (vt === 0) throw new Error('alignScaleShift: the teacher depth is constant; cannot match its spread to the student');
    const a = (cov < 0 ? -1 : 1) * Math.sqrt(vs / vt);
    return { scale: a, shift: ms - a * mt };
  }
  if (method === 'lstsq') {
    const [a, t] = fit(0, T.length);
    return { scale: a, shift: t };
  }
  let sa = 0, stt = 0, n = 0;
  for (let row = 0; row < b * h; row++) {
    const [a, t] = fit(row * w, (row + 1) * w);
    if (Number.isNaN(a)) continue;
    sa += a; stt += t; n++;
  }
  if (n === 0) throw new Error('alignScaleShift: every row of the teacher depth is constant; cannot fit a scale');
  return { scale: sa / n, shift: stt / n };
}

/** Statistical loss: mean clip((1 − SSIM(aligned teacher, student))/2, 0, 1), reflect-padded 3x3 SSIM (DistDepth L_stat). */
export function statisticalLoss(alignedTeacherDepth: tf.Tensor4D, studentDepth: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(ssim(alignedTeacherDepth, studentDepth, 'reflect')) as tf.Scalar);
}

/**
 * Sobel gradient magnitude sqrt(gx² + gy² + 1e-6) as kornia `spatial_gradient(mode='sobel', normalized=True)` (kernel / 8,
 * replicate padding), each sample then L2-normalised over its pixels, and a `border`-pixel frame cut (5 in DistDepth).
 */
export function sobelEdgeMagnitude(depth: tf.Tensor4D, border = 5): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = depth.shape;
    const kx = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 8), [3, 3, 1, 1]);
    const ky = tf.tensor4d([-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 8), [3, 3, 1, 1]);
    const rows = tf.concat([tf.slice(depth, [0, 0, 0, 0], [b, 1, w, 1]), depth, tf.slice(depth, [0, h - 1, 0, 0], [b, 1, w, 1])], 1);
    const padded = tf.concat([tf.slice(rows, [0, 0, 0, 0], [b, h + 2, 1, 1]), rows, tf.slice(rows, [0, 0, w - 1, 0], [b, h + 2, 1, 1])], 2) as tf.Tensor4D;
    const gx = tf.conv2d(padded, kx, 1, 'valid');
    const gy = tf.conv2d(padded, ky, 1, 'valid');
    const mag = tf.sqrt(tf.add(tf.add(tf.square(gx), tf.square(gy)), 1e-6));
    const norm = tf.div(mag, tf.sqrt(tf.sum(tf.square(mag), [1, 2, 3], true)));
    return tf.slice(norm, [0, border, border, 0], [b, h - 2 * border, w - 2 * border, 1]) as tf.Tensor4D;
  });
}

export interface SpatialLossOptions {
  /** 'oneSided' = DistDepth code (softsign on teacher-edge pixels, Huber); 'twoSided' = soft Hamming distance. */
  variant: 'oneSided' | 'twoSided';
  /** Edge quantile (DistDepth `--thre` 0.95). */
  quantile: number;
  /** Weight inside the spatial term (0.02 at DistDepth HEAD). */
  weight: number;
  huberDelta: number;
  /** twoSided only: softsign sharpness on the relative distance (G − τ)/τ. */
  sharpness: number;
  border: number;
}
export const DISTDEPTH_SPATIAL_PRESET: SpatialLossOptions = { variant: 'oneSided', quantile: 0.95, weight: 0.02, huberDelta: 0.8, sharpness: 10, border: 5 };

/**
 * Spatial (edge) loss. τ_T is a per-sample quantile of the teacher's magnitudes, τ_S one quantile over the student batch, both
 * detached. One-sided (the DistDepth code): on P = {G_T > τ_T}, Huber_δ(softsign(G_S − τ_S), +1), mean over P, × weight — the
 * student's extra edges are not penalised. Two-sided (the paper's Hamming distance, made soft): per pixel,
 * e_T·softsign(k·relu(τ_S − G_S)/τ_S) + (1 − e_T)·softsign(k·relu(G_S − τ_S)/τ_S), mean over pixels, × weight; 0 when the
 * student's edge map equals the teacher's.
 */
export function spatialLoss(teacherDepth: tf.Tensor4D, studentDepth: tf.Tensor4D, options: Partial<SpatialLossOptions> = {}): tf.Scalar {
  const o: SpatialLossOptions = { ...DISTDEPTH_SPATIAL_PRESET, ...options };
  return tf.tidy(() => {
    const gT = sobelEdgeMagnitude(teacherDepth, o.border);
    const gS = sobelEdgeMagnitude(studentDepth, o.border);
    const [b, h, w] = gT.shape;
    const tData = gT.dataSync();
    const per = h * w;
    const tauT = new Float32Array(b * per);
    for (let i = 0; i < b; i++) tauT.fill(quantile(tData.subarray(i * per, (i + 1) * per), o.quantile), i * per, (i + 1) * per);
    const tauS = quantile(gS.dataSync(), o.quantile);
    const edgeT = tf.cast(tf.greater(gT, tf.tensor(tauT, gT.shape)), 'float32');
    const softsign = (x: tf.Tensor) => tf.div(x, tf.add(1, tf.abs(x)));
    if (o.variant === 'oneSided') {
      const diff = tf.sub(softsign(tf.sub(gS, tauS)), 1);
      const ad = tf.abs(diff);
      // Huber_δ(a) = 0.5·min(a, δ)² + δ·(a − min(a, δ)) (torch HuberLoss), written without a comparison on the taped path.
      const clipped = tf.minimum(ad, o.huberDelta);
      const huber = tf.add(tf.mul(tf.square(clipped), 0.5), tf.mul(tf.sub(ad, clipped), o.huberDelta));
      return tf.mul(tf.div(tf.sum(tf.mul(huber, edgeT)), tf.maximum(tf.sum(edgeT), 1)), o.weight) as tf.Scalar;
    }
    const scale = o.sharpness / Math.max(tauS, 1e-12);
    const missed = softsign(tf.mul(tf.relu(tf.sub(tauS, gS)), scale));
    const extra = softsign(tf.mul(tf.relu(tf.sub(gS, tauS)), scale));
    return tf.mul(tf.mean(tf.add(tf.mul(edgeT, missed), tf.mul(tf.sub(1, edgeT), extra))), o.weight) as tf.Scalar;
  });
}

export interface DistDepthLossOptions {
  alignment: AlignmentMethod;
  /** dist_wt (0.05). */
  distWeight: number;
  spatial: SpatialLossOptions;
}
export const DISTDEPTH_PRESET: DistDepthLossOptions = { alignment: 'lstsqRows', distWeight: 0.05, spatial: DISTDEPTH_SPATIAL_PRESET };

/**
 * DistDepth distillation part: distWeight · (L_stat + L_spatial), after aligning the teacher depth (D_T = 1/(δ+1) from DPT) to
 * the student. Add the self-supervised monodepth2 loss (DISTDEPTH_SELF_SUPERVISED_PRESET) for the full objective.
 */
export function distDepthLoss(teacherDepth: tf.Tensor4D, studentDepth: tf.Tensor4D, options: Partial<DistDepthLossOptions> = {}): LossResult {
  const o: DistDepthLossOptions = { ...DISTDEPTH_PRESET, ...options, spatial: { ...DISTDEPTH_SPATIAL_PRESET, ...options.spatial } };
  const { scale, shift } = alignScaleShift(teacherDepth, studentDepth, o.alignment);
  const parts: Record<string, tf.Scalar> = {};
  const total = tf.tidy(() => {
    const aligned = tf.add(tf.mul(teacherDepth, scale), shift) as tf.Tensor4D;
    const stat = statisticalLoss(aligned, studentDepth);
    const spatial = spatialLoss(aligned, studentDepth, o.spatial);
    parts.statistical = tf.keep(stat);
    parts.spatial = tf.keep(spatial);
    return tf.mul(tf.add(stat, spatial), o.distWeight) as tf.Scalar;
  });
  return { total, parts };
}
