/**
 * What a depth network's output means, in ONE place: the kind of disparity it predicts (monodepth v1 width fraction or
 * monodepth2 sigmoid), how that becomes pixel disparity and metric depth, the stereo rig it was trained on and the input
 * size it was trained at. The `OutputConvention` is plain JSON: checkpoints (state.json) and exported models
 * (model.json) carry it, and train, test, predict, eval, distillation and export ask these functions instead of
 * converting themselves. tfjs-core only (the browser entry uses it).
 */
import * as tf from '@tensorflow/tfjs-core';

import { dispToDepth } from '../geometry/camera.js';

/**
 * Conventions of a prediction value (a net output or a prediction file from another system):
 * - widthFraction: monodepth v1 disparity as a fraction of the image width (pixels / W).
 * - scaledSigmoid: monodepth2 scaled disparity 1/maxDepth + (1/minDepth - 1/maxDepth) * sigmoid, i.e. the
 *   `pred_disps` monodepth2 saves; depth = 1 / value (in the training units, x5.4 for KITTI stereo).
 * - sigmoid: the raw sigmoid output in [0, 1]; scaled with minDepth/maxDepth first (monodepth2 `disp_to_depth`).
 * - disparityPx: disparity in pixels OF THE PREDICTION'S OWN WIDTH (rescaled by gtWidth / predWidth on resize).
 * - depth: depth already (metres or training units).
 */
export const PREDICTION_CONVENTIONS = ['widthFraction', 'scaledSigmoid', 'sigmoid', 'disparityPx', 'depth'] as const;
export type PredictionConvention = (typeof PREDICTION_CONVENTIONS)[number];
export const TRAINED_WITH = ['stereo', 'mono', 'mono+stereo'] as const;
export type TrainedWith = (typeof TRAINED_WITH)[number];

/** The training rig: |baseline| in metres and focal / image width (the field of view), from the first training sample. */
export interface Rig {
  baseline: number;
  focalOverWidth: number;
}

/** What channel 0 of a network's full-resolution output is: the two conventions our nets produce. */
export type NetOutputKind = 'widthFraction' | 'sigmoid';

/** The loss families and the output each trains. */
export type LossKind = 'monodepth' | 'monodepth2';

/** Enough to turn a net output into depth in its own units. */
export interface NetOutput {
  convention: NetOutputKind;
  /** disp_to_depth range of 'sigmoid' (monodepth2 defaults 0.1 / 100). */
  minDepth?: number;
  maxDepth?: number;
}

/** A trained network's output convention (JSON; stored in checkpoints and exported models). */
export interface OutputConvention extends NetOutput {
  trainedWith: TrainedWith;
  /**
   * Fixed factor from the net's depth units to metres (eval.scale_factor, or an export written before the convention
   * module, which baked it at the rig's baseline). When absent it follows from `trainingBaseline` and the baseline.
   */
  scaleFactor?: number;
  /** Baseline (training units) of the warp of a 'sigmoid' net; null = the samples' metric baseline (depth in metres). */
  trainingBaseline?: number | null;
  /** Input size the net was trained at (NHWC float32 in [0, 1]); any multiple of 32 runs. */
  inputHeight: number;
  inputWidth: number;
  rig?: Rig;
}

/** What the loss family's network outputs: monodepth v1 width-fraction disparity, monodepth2 a sigmoid. */
export function netOutputOfLoss(kind: LossKind, minDepth: number, maxDepth: number): NetOutput {
  return kind === 'monodepth' ? { convention: 'widthFraction' } : { convention: 'sigmoid', minDepth, maxDepth };
}

/** Metres per predicted depth unit: |baseline| / training baseline (monodepth2 KITTI: 0.54 / 0.1 = 5.4). */
export function metresPerTrainingUnit(trainingBaseline: number | null, baselineMetres: number): number {
  return trainingBaseline === null ? 1 : Math.abs(baselineMetres) / trainingBaseline;
}

export interface OutputConventionInputs {
  lossKind: LossKind;
  /** loss.mode: stereo, mono or mono_stereo. */
  mode: 'stereo' | 'mono' | 'mono_stereo';
  minDepth: number;
  maxDepth: number;
  trainingBaseline: number | null;
  /** eval.scale_factor (null / undefined: from the baseline). */
  scaleFactor?: number | null;
  inputHeight: number;
  inputWidth: number;
  rig?: Rig;
}

/** The convention of a net trained with these settings. */
export function outputConventionOf(s: OutputConventionInputs): OutputConvention {
  const trainedWith: TrainedWith = s.mode === 'stereo' ? 'stereo' : s.mode === 'mono' ? 'mono' : 'mono+stereo';
  const size = { inputHeight: s.inputHeight, inputWidth: s.inputWidth, ...(s.rig ? { rig: s.rig } : {}) };
  if (s.lossKind === 'monodepth') return { convention: 'widthFraction', trainedWith, ...size };
  return {
    convention: 'sigmoid',
    trainedWith,
    minDepth: s.minDepth,
    maxDepth: s.maxDepth,
    trainingBaseline: s.trainingBaseline,
    ...(s.scaleFactor !== undefined && s.scaleFactor !== null ? { scaleFactor: s.scaleFactor } : {}),
    ...size,
  };
}

/**
 * Factor from the net's depth to metres for a rig with `baselineMetres` (default: the training rig's; 1 when unknown).
 * Width-fraction nets give metres through focal x baseline instead (factor 1); mono-trained nets have no scale (1).
 */
export function depthScaleFactor(c: OutputConvention, baselineMetres: number = c.rig?.baseline ?? 1): number {
  if (c.convention === 'widthFraction') return 1;
  if (c.scaleFactor !== undefined) return c.scaleFactor;
  return c.trainedWith === 'mono' ? 1 : metresPerTrainingUnit(c.trainingBaseline ?? null, baselineMetres);
}

/**
 * Whether `depthScaleFactor` gives metres: pixel disparities always can (through a camera); a sigmoid net trained
 * with a stereo view does when a baseline is given or stored (the rig) or it was trained in metres. Mono-trained: never.
 */
export function hasMetricScale(c: OutputConvention, baselineMetres?: number): boolean {
  if (c.convention !== 'sigmoid') return true;
  if (c.trainedWith === 'mono') return false;
  return baselineMetres !== undefined || c.rig !== undefined || (c.trainingBaseline ?? null) === null;
}

/** Channel 0 of a disparity output: the left view's (monodepth v1 nets output [left, right], monodepth2 nets 1 channel). */
export function leftDisparity(d: tf.Tensor4D): tf.Tensor4D {
  return d.shape[3] === 1 ? d : (tf.slice(d, [0, 0, 0, 0], [-1, -1, -1, 1]) as tf.Tensor4D);
}

/**
 * Depth of a network's first output channel, in its own units: 'sigmoid' through monodepth2's disp_to_depth;
 * 'widthFraction' as 1 / disparity (relative: x focal/width x baseline for metres).
 */
export function depthFromDisparity(disparity: tf.Tensor4D, out: NetOutput): tf.Tensor4D {
  return tf.tidy(() => {
    const first = leftDisparity(disparity);
    if (out.convention === 'widthFraction') return tf.div(1, tf.maximum(first, 1e-6)) as tf.Tensor4D;
    return dispToDepth(first, out.minDepth, out.maxDepth).depth as tf.Tensor4D;
  });
}

/**
 * Metric depth [B,H,W,1] of a channel-0 map (already at the image's size): 'widthFraction' as focal x baseline / pixel
 * disparity with the rig (focal = focalOverWidth x W, so depth = focalOverWidth x baseline / value; 0 where the
 * disparity is 0), 'sigmoid' as disp_to_depth x the scale factor. Without a rig a width-fraction net's depth is 1 / value.
 */
export function metricDepth(disparity: tf.Tensor4D, c: OutputConvention): tf.Tensor4D {
  return tf.tidy(() => {
    if (c.convention === 'widthFraction') {
      const numerator = c.rig ? c.rig.focalOverWidth * c.rig.baseline : 1;
      return tf.where(tf.greater(disparity, 0), tf.div(numerator, tf.maximum(disparity, 1e-12)), tf.zerosLike(disparity)) as tf.Tensor4D;
    }
    return tf.mul(depthFromDisparity(disparity, c), depthScaleFactor(c)) as tf.Tensor4D;
  });
}

/**
 * monodepth2 `layers.disp_to_depth` scaled disparity: 1/maxDepth + (1/minDepth - 1/maxDepth) * sigmoid,
 * in float32 like the PyTorch tensor op (python float constants rounded to float32 first).
 */
export function scaleSigmoidDisparity(sigmoid: number, minDepth: number, maxDepth: number): number {
  const minDisp = 1 / maxDepth;
  const maxDisp = 1 / minDepth;
  return Math.fround(Math.fround(minDisp) + Math.fround(Math.fround(maxDisp - minDisp) * sigmoid));
}

/** How a converted map is turned into depth for one image. */
export interface ConversionContext {
  convention: PredictionConvention;
  /** Width of the GT (target) map, for widthFraction and disparityPx. */
  targetWidth: number;
  /** Width the prediction had before resizing (disparityPx). */
  predictionWidth: number;
  /** focal (px, at the target width) * baseline (m), for disparity conventions. */
  focalTimesBaseline?: number;
  minDepth?: number;
  maxDepth?: number;
}

/**
 * Disparity in pixels at the target width for a value already resized to the target size
 * (widthFraction: x W, monodepth; disparityPx: x targetW / predW). Float32 like numpy on float32 maps.
 */
export function toPixelDisparity(value: number, ctx: ConversionContext): number {
  switch (ctx.convention) {
    case 'widthFraction':
      return Math.fround(value * ctx.targetWidth);
    case 'disparityPx':
      return ctx.targetWidth === ctx.predictionWidth ? value : Math.fround(value * Math.fround(ctx.targetWidth / ctx.predictionWidth));
    default:
      throw new Error(`toPixelDisparity: convention ${ctx.convention} is not a pixel disparity`);
  }
}

/**
 * Depth of one resized prediction value. widthFraction/disparityPx: b*f / d_px (monodepth
 * `evaluate_kitti.py`; b*f rounded to float32 as numpy's scalar-times-float32-array; d = 0 gives inf, which the
 * caller maps per protocol). scaledSigmoid: 1 / d (monodepth2 `evaluate_depth.py`). sigmoid: 1 / disp_to_depth(d).
 * depth: unchanged.
 */
export function predictionValueToDepth(value: number, ctx: ConversionContext): number {
  switch (ctx.convention) {
    case 'widthFraction':
    case 'disparityPx': {
      if (ctx.focalTimesBaseline === undefined) {
        throw new Error(`convention ${ctx.convention} needs focal and baseline (from the split's calibration, the sidecar or --focal/--baseline)`);
      }
      return Math.fround(Math.fround(ctx.focalTimesBaseline) / toPixelDisparity(value, ctx));
    }
    case 'scaledSigmoid':
      return Math.fround(1 / value);
    case 'sigmoid':
      return Math.fround(1 / scaleSigmoidDisparity(value, ctx.minDepth ?? 0.1, ctx.maxDepth ?? 100));
    case 'depth':
      return value;
    default:
      throw new Error(`unknown prediction convention '${String(ctx.convention)}'`);
  }
}

/** Checks a parsed JSON value is an output convention (model.json / state.json), naming `where` and the field at fault. */
export function parseOutputConvention(raw: unknown, where: string): OutputConvention {
  const o = raw as Partial<OutputConvention> | null;
  if (!o || typeof o !== 'object') throw new Error(`${where}: output convention missing (expected an object)`);
  if (o.convention !== 'widthFraction' && o.convention !== 'sigmoid') throw new Error(`${where}: output.convention '${String(o.convention)}', expected widthFraction or sigmoid`);
  if (!TRAINED_WITH.includes(o.trainedWith as TrainedWith)) throw new Error(`${where}: output.trainedWith '${String(o.trainedWith)}', expected one of ${TRAINED_WITH.join(', ')}`);
  for (const k of ['inputHeight', 'inputWidth'] as const) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v % 32 !== 0) throw new Error(`${where}: output.${k} ${String(v)}, expected a positive multiple of 32`);
  }
  return o as OutputConvention;
}
