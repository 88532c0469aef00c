/**
 * 3x3 stride-1 'valid' mean pooling (the SSIM statistics' window), differentiable.
 *
 * Its gradient is the pooling's adjoint: dx = (1/9) * the 3x3 box sum of dy zero-padded by 2. tfjs asks the backend's
 * AvgPoolGrad for it, which TensorFlow runs ~7x slower than a forward pool (96x320 batch 4, 3 channels: 9.9 ms against
 * 1.5 ms), ~100 ms per monodepth2 step. Where the backend has MEAN_POOL3_GRAD (tensorflow: a depthwise convolution of dy
 * with a 1/9 filter and explicit padding 2, native_kernels.ts) that kernel is the gradient, and MEAN_POOL3 where registered
 * (tensorflow: the same filter) the pool; elsewhere tf.avgPool and its stock gradient run unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

export const MEAN_POOL3_GRAD = 'StereodepthMeanPool3Grad';
/** The pool itself where a backend has it with the gradient (tensorflow: the 1/9 depthwise filter, ~30% faster than AvgPool). */
export const MEAN_POOL3 = 'StereodepthMeanPool3';

/** Mean over each 3x3 window, stride 1, no padding: [B,H,W,C] -> [B,H-2,W-2,C]. */
export function meanPool3x3(x: tf.Tensor4D): tf.Tensor4D {
  if (x.dtype !== 'float32' || !tf.getKernel(MEAN_POOL3_GRAD, tf.getBackend())) return tf.avgPool(x, 3, 1, 'valid');
  const pooled = tf.customGrad(((xx: tf.Tensor) => ({
    value: tf.getKernel(MEAN_POOL3, tf.getBackend()) ? tf.engine().runKernel(MEAN_POOL3, { x: xx }) as tf.Tensor : tf.avgPool(xx as tf.Tensor4D, 3, 1, 'valid'),
    gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(MEAN_POOL3_GRAD, { dy }) as tf.Tensor,
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return pooled(x) as tf.Tensor4D;
}
