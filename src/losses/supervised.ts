/**
 * Supervised depth losses for teacher training and fine-tuning, masked by valid ground truth (gt > minValid).
 * pred, gt: [B,H,W,1]; the mean is over valid pixels only (0 when none is valid).
 */
import * as tf from '@tensorflow/tfjs-core';

function validMask(gt: tf.Tensor, minValid: number): tf.Tensor {
  return tf.cast(tf.greater(gt, minValid), 'float32');
}

function maskedMean(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

/** Mean |pred - gt| over valid pixels. */
export function maskedL1Loss(pred: tf.Tensor, gt: tf.Tensor, minValid = 0): tf.Scalar {
  return tf.tidy(() => maskedMean(tf.abs(tf.sub(pred, gt)), validMask(gt, minValid)));
}

/**
 * Reverse Huber (berHu), Laina et al. 2016 Eq. 4: |e| if |e| <= c, else (e^2 + c^2) / 2c, with c = 0.2 * max|e| over the valid
 * pixels of the batch (treated as a constant, as in their implementation).
 */
export function berHuLoss(pred: tf.Tensor, gt: tf.Tensor, minValid = 0, cFraction = 0.2): tf.Scalar {
  return tf.tidy(() => {
    const mask = validMask(gt, minValid);
    const err = tf.mul(tf.abs(tf.sub(pred, gt)), mask);
    const cValue = Math.max(cFraction * tf.max(err).dataSync()[0], 1e-12); // detached threshold
    const quad = tf.div(tf.add(tf.square(err), cValue * cValue), 2 * cValue);
    const linear = tf.step(tf.sub(cValue + 1e-30, err)); // 1 where err <= c; tf.step has a zero gradient (no comparison op on the tape)
    return maskedMean(tf.add(tf.mul(linear, err), tf.mul(tf.sub(1, linear), quad)), mask);
  });
}

/**
 * Scale-invariant log loss, Eigen et al. 2014 Eq. 4: (1/n) Σ d_i^2 - (λ/n^2)(Σ d_i)^2, d = log pred - log gt over valid pixels,
 * λ = 0.5 (their training value; λ = 1 gives the fully scale-invariant error). pred must be positive.
 */
export function scaleInvariantLogLoss(pred: tf.Tensor, gt: tf.Tensor, minValid = 0, lambda = 0.5, eps = 1e-6): tf.Scalar {
  return tf.tidy(() => {
    const mask = validMask(gt, minValid);
    const n = tf.maximum(tf.sum(mask), 1);
    const d = tf.mul(tf.sub(tf.log(tf.maximum(pred, eps)), tf.log(tf.maximum(gt, eps))), mask);
    const meanSq = tf.div(tf.sum(tf.square(d)), n);
    const mean = tf.div(tf.sum(d), n);
    return tf.sub(meanSq, tf.mul(tf.square(mean), lambda)) as tf.Scalar;
  });
}
