/**
 * Hint-feature knowledge distillation (FitNets, Romero et al. 2015; ANCHORS.md §3.7 — no reference repo implements it):
 * L_hint = Σ_r w_r · mean(‖A_r(F_S^r) − resize(F_T^r)‖²), A_r a 1x1 conv (student channels -> teacher channels) per decoder
 * scale. The adapters live in their own module with their own variables, apart from the student's, so exporting the student
 * drops them.
 */
import * as tf from '@tensorflow/tfjs-core';

import { resizeBilinearTorch } from '../geometry/resize.js';
import type { Rng } from '../util/random.js';
import type { LossResult } from './monodepth2.js';

export class HintAdapters {
  readonly kernels: tf.Variable[];
  readonly biases: tf.Variable[];

  /** One adapter per scale: studentChannels[r] -> teacherChannels[r]; He-uniform init through the run's Rng. */
  constructor(studentChannels: number[], teacherChannels: number[], rng: Rng, namePrefix = 'hint_adapter') {
    if (studentChannels.length !== teacherChannels.length) {
      throw new Error(`HintAdapters: ${studentChannels.length} student scales but ${teacherChannels.length} teacher scales`);
    }
    this.kernels = studentChannels.map((cs, r) => {
      const ct = teacherChannels[r];
      const limit = Math.sqrt(6 / cs);
      const w = new Float32Array(cs * ct);
      for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-limit, limit);
      return tf.variable(tf.tensor4d(w, [1, 1, cs, ct]), true, `${namePrefix}/${r}/kernel`);
    });
    this.biases = teacherChannels.map((ct, r) => tf.variable(tf.zeros([ct]), true, `${namePrefix}/${r}/bias`));
  }

  /** Named trainable variables (for the optimiser; kept out of the student's checkpoint/export). */
  variables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const v of [...this.kernels, ...this.biases]) out[v.name] = v;
    return out;
  }

  /** Applies adapter r to student features [B,H,W,Cs] -> [B,H,W,Ct]. */
  apply(r: number, features: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.add(tf.conv2d(features, this.kernels[r] as tf.Tensor4D, 1, 'valid'), this.biases[r]) as tf.Tensor4D);
  }

  dispose(): void {
    for (const v of [...this.kernels, ...this.biases]) v.dispose();
  }
}

/**
 * How each scale's squared error is scaled: `none` is FitNets' plain MSE; `teacher` divides it by the mean square of that
 * scale's teacher features in the batch (a relative error, ~1 for an adapter that outputs zeros), so scales whose features
 * are large (a ResNet decoder's coarse scales: per-scale MSEs of 30-80 against ~1 at full resolution) do not drown the fine
 * ones, and one weight means the same at every scale.
 */
export type HintNormalization = 'none' | 'teacher';

/**
 * Σ_r w_r · mean((A_r(F_S^r) − F_T^r)²) [/ mean((F_T^r)²) when normalized by the teacher]; teacher features are resized
 * (torch bilinear, align_corners=False) to the student's spatial size when they differ. weights default to 1 per scale.
 */
export function hintLoss(adapters: HintAdapters, student: tf.Tensor4D[], teacher: tf.Tensor4D[], weights?: number[], normalization: HintNormalization = 'none'): LossResult {
  if (student.length !== teacher.length) throw new Error(`hintLoss: ${student.length} student vs ${teacher.length} teacher feature scales`);
  const parts: Record<string, tf.Scalar> = {};
  const total = tf.tidy(() => {
    let sum: tf.Tensor = tf.scalar(0);
    student.forEach((fs, r) => {
      const [, h, w] = fs.shape;
      const ft = teacher[r].shape[1] === h && teacher[r].shape[2] === w ? teacher[r] : resizeBilinearTorch(teacher[r], h, w);
      const squaredError = tf.mean(tf.square(tf.sub(adapters.apply(r, fs), ft))) as tf.Scalar;
      // The teacher is frozen, so its energy is a constant of the student's gradient; the epsilon only guards all-zero maps.
      const mse = normalization === 'teacher' ? (tf.div(squaredError, tf.add(tf.mean(tf.square(ft)), 1e-12)) as tf.Scalar) : squaredError;
      parts[`hint/${r}`] = tf.keep(mse);
      sum = tf.add(sum, tf.mul(mse, weights?.[r] ?? 1));
    });
    return sum as tf.Scalar;
  });
  return { total, parts };
}
