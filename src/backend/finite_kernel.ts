/**
 * The training step's finite check (src/train/finite_guard.ts) as one kernel on wasm: one SIMD read of every tensor
 * (native/wasm/kernels.c) instead of a Multiply and a Sum pass per variable (~15 ms of the quickstart's step for the
 * 11 M gradient values). Its flags mean what the composition's mean: NaN where a tensor holds any NaN or +-Inf (there
 * sum(x * 0) is NaN), 0 elsewhere. The tensorflow backend computes the same flags natively from All(IsFinite(x))
 * (native_kernels.ts); cpu runs the composition.
 */
import * as tf from '@tensorflow/tfjs-core';

import { offsetOf, simdKernels } from './simd_kernels.js';
import type { KernelArgs } from './wasm_util.js';

export const NON_FINITE_FLAGS = 'StereodepthNonFiniteFlags';

/** The kernel's inputs in flag order (nonFiniteFlags passes them keyed '0', '1', ...). */
export function flaggedTensors(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.keys(inputs).sort((a, b) => Number(a) - Number(b)).map((k) => inputs[k] as tf.TensorInfo);
}

function nonFiniteFlagsWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const tensors = flaggedTensors(inputs);
  const out = backend.makeOutput([tensors.length], 'float32') as tf.TensorInfo;
  const k = simdKernels(backend);
  const flags = tensors.map((t) => {
    if (t.dtype !== 'float32') throw new Error(`${NON_FINITE_FLAGS}: float32 tensors only, got ${t.dtype}`);
    const n = tf.util.sizeFromShape(t.shape);
    return n > 0 && k.any_non_finite_f32(offsetOf(backend, t), n) !== 0 ? NaN : 0;
  });
  (backend.typedArrayFromHeap(out) as Float32Array).set(flags);
  return out;
}

/** Registers the kernel on wasm (idempotent). */
export function registerNonFiniteFlagsKernel(): void {
  if (!tf.getKernel(NON_FINITE_FLAGS, 'wasm')) tf.registerKernel({ kernelName: NON_FINITE_FLAGS, backendName: 'wasm', kernelFunc: nonFiniteFlagsWasm as unknown as tf.KernelFunc });
}

/** Per tensor: NaN if it holds any NaN or +-Inf, else a finite value (0). One kernel where registered, else x * 0 summed. */
export function nonFiniteFlags(tensors: tf.Tensor[]): tf.Tensor1D {
  if (tf.getKernel(NON_FINITE_FLAGS, tf.getBackend()) && tensors.every((t) => t.dtype === 'float32')) {
    return tf.engine().runKernel(NON_FINITE_FLAGS, Object.fromEntries(tensors.map((t, i) => [String(i), t]))) as tf.Tensor1D;
  }
  return tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.mul(t, 0)))) as tf.Tensor1D);
}
