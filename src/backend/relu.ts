/**
 * ReLU whose gradient is one kernel where the backend has RELU_GRAD (tensorflow: TensorFlow's ReluGrad,
 * native_kernels.ts). tfjs-core's own gradient is dy * step(x), three kernels (Cast, Step, Multiply), and TensorFlow's
 * Step is slow (~1.6 ms per ResNet18 activation at 96x320 batch 4); elsewhere tf.relu and its stock gradient run unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

export const RELU_GRAD = 'StereodepthReluGrad';

/** max(x, 0); the gradient passes where x > 0. */
export function relu<T extends tf.Tensor>(x: T): T {
  if (x.dtype !== 'float32' || !tf.getKernel(RELU_GRAD, tf.getBackend())) return tf.relu(x);
  const f = tf.customGrad(((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.relu(xx);
    // ReluGrad reads the output (y > 0 exactly where x > 0), so the input need not be kept.
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(RELU_GRAD, { dy, y: saved[0]! }) as tf.Tensor };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}
