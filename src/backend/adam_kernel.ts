/**
 * One Adam update of a variable (src/train/optimizer.ts) as one kernel: on wasm a single SIMD pass of the project's
 * module (native/wasm/kernels.c) instead of 13 element-wise kernels, each a full pass over the variable (13.9 M values
 * for the ResNet18 depth net). Every operation rounds to float32 in the composition's order, so the fused update is
 * bit-identical to the ops (test/backend/simd_kernels.test.ts) and no training curve changes. Other backends run the
 * ops.
 */
import * as tf from '@tensorflow/tfjs-core';

import { offsetOf, simdKernels } from './simd_kernels.js';
import type { KernelArgs } from './wasm_util.js';

export const ADAM_UPDATE = 'StereodepthAdamUpdate';

/** Per-step constants (the composition multiplies and divides by them as float32 scalars). */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  sqrtBiasCorrection2: number;
}

function adamUpdateWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { param, m, v, grad } = inputs as Record<'param' | 'm' | 'v' | 'grad', tf.TensorInfo>;
  for (const t of [m, v, grad]) {
    if (t.dtype !== 'float32' || param.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape)) {
      throw new Error(`${ADAM_UPDATE}: param, m, v and grad must be float32 of one shape, got [${param.shape}] ${param.dtype} and [${t.shape}] ${t.dtype}`);
    }
  }
  const c = attrs as unknown as AdamCoefficients;
  const outs = [0, 1, 2].map(() => backend.makeOutput(param.shape, 'float32') as tf.TensorInfo);
  const n = tf.util.sizeFromShape(param.shape);
  const o = (t: tf.TensorInfo): number => offsetOf(backend, t);
  if (n > 0) {
    simdKernels(backend).adam_f32(o(param), o(m), o(v), o(grad), o(outs[0]!), o(outs[1]!), o(outs[2]!), n,
      c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2, c.sqrtBiasCorrection2, c.epsilon, c.stepSize);
  }
  return outs;
}

/** Registers the fused update on wasm (idempotent). */
export function registerAdamKernel(): void {
  if (!tf.getKernel(ADAM_UPDATE, 'wasm')) tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdateWasm as unknown as tf.KernelFunc });
}

/** The update as tf ops (any backend): the reference the fused kernel reproduces. */
export function adamUpdateOps(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const newM = tf.add(tf.mul(m, c.beta1), tf.mul(grad, 1 - c.beta1));
    const newV = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(grad), 1 - c.beta2));
    const denom = tf.add(tf.div(tf.sqrt(newV), c.sqrtBiasCorrection2), c.epsilon);
    return [tf.sub(param, tf.mul(tf.div(newM, denom), c.stepSize)), newM, newV] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}

/** New [param, m, v] after one Adam update: the fused kernel where registered, else the ops. The caller disposes them. */
export function adamUpdate(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, c: AdamCoefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (tf.getKernel(ADAM_UPDATE, tf.getBackend()) && grad.dtype === 'float32') {
    return tf.engine().runKernel(ADAM_UPDATE, { param, m, v, grad }, c as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
  }
  return adamUpdateOps(param, m, v, grad, c);
}
