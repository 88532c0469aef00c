/**
 * The training batch-norm kernels of batchnorm_kernels.ts on wasm: the same float64 arithmetic in the same order in the
 * project's SIMD module (native/wasm/kernels.c), bit-identical to the JS loops the cpu backend keeps. Kept apart because
 * the SIMD module loader is Node-only and the models import the kernel names.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, checkInputs } from './batchnorm_kernels.js';
import { offsetOf, simdKernels } from './simd_kernels.js';
import type { KernelArgs, WasmBackend } from './wasm_util.js';

/** A float64 scratch of `doubles` values on the wasm heap with its first `zeroed` values set to 0 (dispose it). */
function wasmScratch(backend: WasmBackend, doubles: number, zeroed: number): tf.TensorInfo {
  const scratch = backend.makeOutput([2 * doubles], 'float32') as tf.TensorInfo;
  (backend.typedArrayFromHeap(scratch) as Float32Array).fill(0, 0, 2 * zeroed);
  return scratch;
}

function forwardKernelWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  checkInputs(x, gamma, BATCH_NORM_TRAIN);
  const c = gamma.shape[0]!;
  const y = backend.makeOutput([...x.shape], 'float32') as tf.TensorInfo;
  const mean = backend.makeOutput([c], 'float32') as tf.TensorInfo;
  const variance = backend.makeOutput([c], 'float32') as tf.TensorInfo;
  const scratch = wasmScratch(backend, 4 * c, 2 * c);
  const o = (t: tf.TensorInfo): number => offsetOf(backend, t);
  simdKernels(backend).batch_norm_train_f32(o(x), o(gamma), o(beta), (attrs as unknown as { eps: number }).eps, o(y), o(mean), o(variance),
    c > 0 ? tf.util.sizeFromShape(x.shape) / c : 0, c, o(scratch));
  backend.disposeData(scratch.dataId);
  return [y, mean, variance];
}

function gradKernelWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  checkInputs(x!, gamma!, BATCH_NORM_TRAIN_GRAD);
  const c = gamma!.shape[0]!;
  const dx = backend.makeOutput([...x!.shape], 'float32') as tf.TensorInfo;
  const dgamma = backend.makeOutput([c], 'float32') as tf.TensorInfo;
  const dbeta = backend.makeOutput([c], 'float32') as tf.TensorInfo;
  // [inv | dbeta, dyx (accumulators, zeroed) | k, a, b]
  const scratch = wasmScratch(backend, 6 * c, 3 * c);
  const o = (t: tf.TensorInfo): number => offsetOf(backend, t);
  simdKernels(backend).batch_norm_train_grad_f32(o(dy!), o(x!), o(gamma!), o(mean!), o(variance!), (attrs as unknown as { eps: number }).eps,
    o(dx), o(dgamma), o(dbeta), c > 0 ? tf.util.sizeFromShape(x!.shape) / c : 0, c, o(scratch));
  backend.disposeData(scratch.dataId);
  return [dx, dgamma, dbeta];
}

/** Registers both kernels for 'wasm' (idempotent). */
export function registerBatchNormWasmKernels(): void {
  for (const [kernelName, kernelFunc] of [[BATCH_NORM_TRAIN, forwardKernelWasm], [BATCH_NORM_TRAIN_GRAD, gradKernelWasm]] as const) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
