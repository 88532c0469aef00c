/**
 * The training objective selected by the config: turns a batch's images and cameras plus the network's disparities
 * into the references' losses (monodepth v1 stereo, monodepth2 stereo). The trainer calls this and holds no maths.
 */
import * as tf from '@tensorflow/tfjs-core';

import { batchMat4, dispToDepth, invertMat4, scaleIntrinsics, transformationFromParameters, warpByDepth, type Mat4 } from '../geometry/camera.js';
import { bilinearSampler1dH } from '../geometry/sampler.js';
import { minReprojection, photometricError } from './photometric.js';
import type { PoseNet } from '../models/pose.js';
import { leftDisparity } from '../models/output_convention.js';
import { monodepthLoss } from './monodepth.js';
import { monodepth2Loss, type LossResult, type Monodepth2Source } from './monodepth2.js';

export interface ObjectiveSettings {
  kind: 'monodepth' | 'monodepth2';
  minDepth: number;
  maxDepth: number;
  /** Baseline of the warp in training units (monodepth2: 0.1); null = each sample's metric baseline. */
  trainingBaseline: number | null;
  smoothnessWeight: number;
  scales: number[];
  monodepth2: { alignCorners: boolean; automask: boolean; avgReprojection: boolean; noSsim: boolean };
  monodepth: { alpha: number; lrWeight: number; samplerMode: 'border' | 'edge'; ssimPadding: 'valid' | 'reflect'; smoothnessTerms: 'xy' | 'x' };
}

export interface StereoObjectiveInputs {
  /** Images the loss sees, [B,H,W,3] in [0,1]. */
  left: tf.Tensor4D;
  right: tf.Tensor4D;
  /** Per sample: 3x3 row-major pixel intrinsics at H x W, horizontal focal (px), signed baseline (m; < 0: source is to the left). */
  K: number[][];
  focal: number[];
  baseline: number[];
  /** Network outputs at scales 0..3, [B,H/2^s,W/2^s,C] (C = 1 for monodepth2, 2 = left/right for monodepth). */
  disparities: tf.Tensor4D[];
}

/** Area-downsampled pyramid (exact 2x2 means per level, like tf.image.resize_area on halving sizes). */
export function imagePyramid(image: tf.Tensor4D, levels: number): tf.Tensor4D[] {
  const out: tf.Tensor4D[] = [image];
  for (let s = 1; s < levels; s++) out.push(tf.avgPool(out[s - 1]!, 2, 2, 'valid'));
  return out;
}

/**
 * Per-sample target -> source transforms of a stereo batch for a warp that uses ONE intrinsic matrix (the first
 * sample's): the x-translation of sample i is scaled by focal_i / focal_0 so that focal_0 * t_i = focal_i * b_i, i.e.
 * a crop+resize that zoomed sample i by k still gets pixel disparities k times larger.
 */
export function stereoTransforms(baseline: number[], focal: number[], trainingBaseline: number | null): tf.Tensor3D {
  const rows = baseline.map((b, i) => {
    const magnitude = trainingBaseline ?? Math.abs(b);
    const t = -Math.sign(b) * magnitude * (focal[i]! / focal[0]!);
    return [1, 0, 0, t, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  });
  return tf.tensor3d(rows.flat(), [baseline.length, 4, 4]);
}

/** Intrinsics normalised by the image size (monodepth2's K convention). */
export function normaliseIntrinsics(K: number[], width: number, height: number): Mat4 {
  return [
    [K[0]! / width, K[1]! / width, K[2]! / width, 0],
    [K[3]! / height, K[4]! / height, K[5]! / height, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
}

/**
 * monodepth2's temporal poses: for each neighbour offset f, the pose net sees [frame f, frame 0] (f < 0, pose inverted) or
 * [frame 0, frame f] (f > 0), both on the colour-augmented inputs; T maps target -> source. Axis-angle x 0.01 is in PoseNet.
 */
export function temporalPoses(poseNet: PoseNet, targetInput: tf.Tensor4D, neighbourInputs: Record<number, tf.Tensor4D>, training: boolean): Record<number, tf.Tensor3D> {
  const out: Record<number, tf.Tensor3D> = {};
  for (const [key, input] of Object.entries(neighbourInputs)) {
    const f = Number(key);
    out[f] = tf.tidy(() => {
      const pair = tf.concat(f < 0 ? [input, targetInput] : [targetInput, input], 3) as tf.Tensor4D;
      const { axisangle, translation } = poseNet.apply(pair, { training });
      const first = (t: tf.Tensor3D): tf.Tensor2D => tf.squeeze(tf.slice(t, [0, 0, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;
      return transformationFromParameters(first(axisangle), first(translation), f < 0);
    });
  }
  return out;
}

export interface MonoObjectiveInputs {
  left: tf.Tensor4D;
  /** Present for mono+stereo. */
  right?: tf.Tensor4D;
  K: number[][];
  focal: number[];
  baseline: number[];
  disparities: tf.Tensor4D[];
  /** Temporal neighbours (loss images) and their target -> source poses, by frame offset. */
  neighbours: Record<number, tf.Tensor4D>;
  poses: Record<number, tf.Tensor3D>;
}

/**
 * monodepth2's loss on the configured scales for one target and its sources: the target pyramid (the smoothness term's
 * images), the first sample's normalised K and the loss options come from the settings.
 */
function monodepth2Objective(left: tf.Tensor4D, K: number[][], disparities: tf.Tensor4D[], sources: Monodepth2Source[], s: ObjectiveSettings): LossResult {
  const [, h, w] = left.shape;
  const pyramid = tf.tidy(() => imagePyramid(left, Math.max(...s.scales) + 1));
  try {
    return monodepth2Loss(
      {
        target: left,
        targetPyramid: s.scales.map((k) => pyramid[k]!),
        disparities,
        sources,
        normalisedK: normaliseIntrinsics(K[0]!, w, h),
      },
      {
        minDepth: s.minDepth,
        maxDepth: s.maxDepth,
        smoothnessWeight: s.smoothnessWeight,
        alignCorners: s.monodepth2.alignCorners,
        automask: s.monodepth2.automask,
        avgReprojection: s.monodepth2.avgReprojection,
        noSsim: s.monodepth2.noSsim,
      },
    );
  } finally {
    tf.dispose(pyramid.slice(1));
  }
}

/** monodepth2 mono (M) or mono+stereo (MS): min-reprojection over temporal neighbours (+ the stereo view). */
export function monoObjective(inputs: MonoObjectiveInputs, s: ObjectiveSettings): LossResult {
  const sources: { name: string; image: tf.Tensor4D; T: tf.Tensor3D }[] = Object.keys(inputs.neighbours)
    .map(Number)
    .sort((a, b) => a - b)
    .map((f) => {
      const T = inputs.poses[f];
      if (!T) throw new Error(`monoObjective: no pose for neighbour ${f}`);
      return { name: String(f), image: inputs.neighbours[f]!, T };
    });
  const stereoT = inputs.right ? stereoTransforms(inputs.baseline, inputs.focal, s.trainingBaseline) : null;
  if (inputs.right && stereoT) sources.push({ name: 's', image: inputs.right, T: stereoT });
  try {
    return monodepth2Objective(inputs.left, inputs.K, s.scales.map((k) => inputs.disparities[k]!), sources, s);
  } finally {
    if (stereoT) stereoT.dispose();
  }
}

/** The self-supervised stereo loss of the configured reference. */
export function stereoObjective(inputs: StereoObjectiveInputs, s: ObjectiveSettings): LossResult {
  const [b] = inputs.left.shape;
  if (inputs.K.length !== b || inputs.focal.length !== b || inputs.baseline.length !== b) {
    throw new Error(`stereoObjective: batch of ${b} images but ${inputs.K.length} K, ${inputs.focal.length} focal, ${inputs.baseline.length} baseline`);
  }
  const levels = Math.max(...s.scales) + 1;
  const disparities = s.scales.map((k) => {
    const d = inputs.disparities[k];
    if (!d) throw new Error(`stereoObjective: the network has no output at scale ${k}`);
    return d;
  });
  if (s.kind === 'monodepth2') {
    const T = stereoTransforms(inputs.baseline, inputs.focal, s.trainingBaseline);
    try {
      return monodepth2Objective(inputs.left, inputs.K, disparities, [{ name: 's', image: inputs.right, T }], s);
    } finally {
      T.dispose();
    }
  }
  // monodepth v1: the right view must be to the right (flip-with-swap keeps it so).
  const bad = inputs.baseline.findIndex((v) => v <= 0);
  if (bad >= 0) {
    throw new Error(
      `loss.kind monodepth needs every pair with the source view to the right (baseline > 0), sample ${bad} has ${inputs.baseline[bad]}: ` +
        `use data.augment.flip.mode: swap and left/right pair split lines`,
    );
  }
  const pyrL = tf.tidy(() => imagePyramid(inputs.left, levels));
  const pyrR = tf.tidy(() => imagePyramid(inputs.right, levels));
  const split = disparities.map((d) => tf.split(d, 2, 3) as tf.Tensor4D[]);
  try {
    return monodepthLoss(
      {
        leftPyramid: s.scales.map((k) => pyrL[k]!),
        rightPyramid: s.scales.map((k) => pyrR[k]!),
        dispLeft: split.map((p) => p[0]!),
        dispRight: split.map((p) => p[1]!),
      },
      {
        alpha: s.monodepth.alpha,
        smoothnessWeight: s.smoothnessWeight,
        lrWeight: s.monodepth.lrWeight,
        samplerMode: s.monodepth.samplerMode,
        ssimPadding: s.monodepth.ssimPadding,
        smoothnessTerms: s.monodepth.smoothnessTerms,
      },
    );
  } finally {
    tf.dispose([...pyrL.slice(1), ...pyrR.slice(1), ...split.flat()]);
  }
}

/**
 * What the loss sees at full resolution, for TensorBoard: the source view warped into the target by the predicted
 * disparity, and (monodepth2 with auto-masking) the pixels the auto-mask keeps (1 = reprojection beats identity).
 */
export function stereoPreview(inputs: StereoObjectiveInputs, s: ObjectiveSettings): { warped: tf.Tensor4D; automask?: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, h, w] = inputs.left.shape;
    const disp = leftDisparity(inputs.disparities[0]!);
    if (s.kind === 'monodepth') {
      return { warped: bilinearSampler1dH(inputs.right, tf.neg(disp) as tf.Tensor4D, s.monodepth.samplerMode, false) };
    }
    const depth = dispToDepth(disp, s.minDepth, s.maxDepth).depth as tf.Tensor4D;
    const K = scaleIntrinsics(normaliseIntrinsics(inputs.K[0]!, w, h), w, h);
    const T = stereoTransforms(inputs.baseline, inputs.focal, s.trainingBaseline);
    const { warped } = warpByDepth(inputs.right, depth, batchMat4(K, b), batchMat4(invertMat4(K), b), T, { alignCorners: s.monodepth2.alignCorners, padding: 'border', imageGradient: false });
    if (!s.monodepth2.automask) return { warped };
    const sel = minReprojection([photometricError(warped, inputs.left)], [photometricError(inputs.right, inputs.left)], { avgReprojection: false, automask: true, tieBreakRng: null });
    return sel.identitySelection ? { warped, automask: sel.identitySelection } : { warped };
  });
}
