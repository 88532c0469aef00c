/**
 * The supervised objective (config `loss.kind: supervised`): the network's sigmoid output at each configured scale is
 * resized to the ground truth's size (torch bilinear, differentiable), turned into metric depth with monodepth2's
 * disp_to_depth(min_depth, max_depth), and compared with the GT depth of the batch by one of the masked losses of
 * supervised.ts (0 = invalid GT, never supervised). The scales' losses are averaged.
 */
import * as tf from '@tensorflow/tfjs-core';

import { dispToDepth } from '../geometry/camera.js';
import { resizeBilinearTorch } from '../geometry/resize.js';
import type { LossResult } from './monodepth2.js';
import { berHuLoss, maskedL1Loss, scaleInvariantLogLoss } from './supervised.js';

export const SUPERVISED_LOSSES = ['l1', 'berhu', 'silog'] as const;
export type SupervisedLossName = (typeof SUPERVISED_LOSSES)[number];

export interface SupervisedSettings {
  /** l1 (FastDepth trains with L1), berhu (Laina et al.), silog (Eigen et al. scale-invariant log). */
  loss: SupervisedLossName;
  /** disp_to_depth range of the network's sigmoid output, metres. */
  minDepth: number;
  maxDepth: number;
  /** Output scales supervised (0 = full resolution), each upsampled to the GT size. */
  scales: number[];
  /** berHu threshold c = berhuThreshold * max|err| over the batch's valid pixels (Laina et al.: 0.2). */
  berhuThreshold: number;
  /** silog variance weight λ: (1/n)Σd² − λ(1/n²)(Σd)² (Eigen et al. train with 0.5; 1 = fully scale-invariant). */
  silogLambda: number;
}

/** The settings of a config's `loss:` section (`loss.kind: supervised`). */
export function supervisedSettingsOf(l: { supervised: SupervisedLossName; min_depth: number; max_depth: number; scales: number[]; berhu_threshold: number; silog_lambda: number }): SupervisedSettings {
  return { loss: l.supervised, minDepth: l.min_depth, maxDepth: l.max_depth, scales: l.scales, berhuThreshold: l.berhu_threshold, silogLambda: l.silog_lambda };
}

/** Metric depth [B,H,W,1] of a sigmoid output resized to height x width. */
export function supervisedDepth(disparity: tf.Tensor4D, height: number, width: number, s: Pick<SupervisedSettings, 'minDepth' | 'maxDepth'>): tf.Tensor4D {
  return tf.tidy(() => {
    const first = disparity.shape[3] === 1 ? disparity : (tf.slice(disparity, [0, 0, 0, 0], [-1, -1, -1, 1]) as tf.Tensor4D);
    const resized = first.shape[1] === height && first.shape[2] === width ? first : resizeBilinearTorch(first, height, width);
    return dispToDepth(resized, s.minDepth, s.maxDepth).depth as tf.Tensor4D;
  });
}

function lossAt(pred: tf.Tensor4D, gt: tf.Tensor4D, s: SupervisedSettings): tf.Scalar {
  switch (s.loss) {
    case 'l1':
      return maskedL1Loss(pred, gt);
    case 'berhu':
      return berHuLoss(pred, gt, 0, s.berhuThreshold);
    case 'silog':
      return scaleInvariantLogLoss(pred, gt, 0, s.silogLambda);
    default:
      throw new Error(`loss.supervised: unknown loss '${String(s.loss)}'; expected one of ${SUPERVISED_LOSSES.join(', ')}`);
  }
}

/** Mean over `s.scales` of the supervised loss; parts `supervised/<scale>`. gtDepth [B,H,W,1] metres, 0 = invalid. */
export function supervisedObjective(disparities: tf.Tensor4D[], gtDepth: tf.Tensor4D, s: SupervisedSettings): LossResult {
  if (s.scales.length === 0) throw new Error('supervisedObjective: loss.scales is empty');
  const [, h, w] = gtDepth.shape;
  const parts: Record<string, tf.Scalar> = {};
  const total = tf.tidy(() => {
    let sum: tf.Tensor = tf.scalar(0);
    for (const k of s.scales) {
      const d = disparities[k];
      if (!d) throw new Error(`supervisedObjective: the network has no output at scale ${k} (loss.scales); it has scales 0..${disparities.length - 1}`);
      const value = lossAt(supervisedDepth(d, h, w, s), gtDepth, s);
      parts[`supervised/${k}`] = tf.keep(value);
      sum = tf.add(sum, value);
    }
    return tf.div(sum, s.scales.length) as tf.Scalar;
  });
  return { total, parts };
}
