/**
 * Training-mode batch norm as two fused kernels (forward and gradient) for the wasm and cpu backends.
 *
 * Why: composed from tfjs ops, one BatchNorm layer in training costs about 25 kernels forward and backward (moments,
 * four broadcasting ops, their reductions in the gradient), ~75 ns per element on wasm: 37 ms for a [4,24,80,64]
 * activation, ~480 ms per ResNet18 step at 96x320 batch 4. Each fused kernel is two or three passes over the data.
 *
 * Semantics (torch.nn.BatchNorm2d in training, per channel c over the N = B*H*W positions):
 *   mean = sum x / N,  var = sum (x - mean)^2 / N (biased),  xhat = (x - mean) / sqrt(var + eps),  y = gamma*xhat + beta
 *   dbeta = sum dy,  dgamma = sum dy*xhat,  dx = gamma / sqrt(var + eps) * (dy - dbeta/N - xhat*dgamma/N)
 * Sums are accumulated in float64. Inputs are NHWC (channels last), any rank >= 1.
 * On wasm the same float64 arithmetic in the same order runs in the project's SIMD module (batchnorm_wasm.ts,
 * bit-identical to the JS loops here, which the cpu backend keeps): ~3x faster than the JS loops. This file stays free
 * of Node-only imports: the models (and so the browser entry) import its kernel names.
 */
import * as tf from '@tensorflow/tfjs-core';

import { registerJsKernel, type JsKernelBackend, type KernelMemory } from './kernel_memory.js';

/** Kernel names (registered by initBackend for 'wasm' and 'cpu', for 'tensorflow' by native_kernels.ts; other backends
 *  compose the same maths from tf ops). */
export const BATCH_NORM_TRAIN = 'StereodepthBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'StereodepthBatchNormTrainGrad';
/**
 * BATCH_NORM_TRAIN that also updates the running statistics (tensorflow only, native_kernels.ts): inputs x, gamma, beta,
 * runningMean, runningVar; attrs eps, momentum m -> [y, batch mean, biased batch variance, (1-m) * runningMean + m * mean,
 * (1-m) * runningVar + m * n/(n-1) * variance] (n = positions per channel; the factor is 1 when n = 1).
 */
export const BATCH_NORM_TRAIN_RUNNING = 'StereodepthBatchNormTrainRunning';

/** Per-channel mean and biased variance of x viewed as [N, C] (two passes). */
export function channelMoments(x: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const n = x.length / channels;
  const mean = new Float64Array(channels);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) mean[c] += x[base + c]!;
  }
  for (let c = 0; c < channels; c++) mean[c] /= n;
  const variance = new Float64Array(channels);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[base + c]! - mean[c]!;
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= n;
  return { mean, variance };
}

/** y = gamma * (x - mean) / sqrt(var + eps) + beta written into `y`; returns the batch mean and biased variance. */
export function batchNormTrainForward(
  x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array,
): { mean: Float64Array; variance: Float64Array } {
  const channels = gamma.length;
  const { mean, variance } = channelMoments(x, channels);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) y[base + c] = x[base + c]! * scale[c]! + shift[c]!;
  }
  return { mean, variance };
}

/** Writes dx and returns dgamma, dbeta for the forward above (mean/variance as it returned them). */
export function batchNormTrainBackward(
  dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, eps: number,
  dx: Float32Array,
): { dgamma: Float64Array; dbeta: Float64Array } {
  const channels = gamma.length;
  const n = x.length / channels;
  const inv = new Float64Array(channels);
  for (let c = 0; c < channels; c++) inv[c] = 1 / Math.sqrt(variance[c]! + eps);
  // Raw sums (sum dy, sum dy*x) in one pass; dgamma = (sum dy*x - mean * sum dy) * inv.
  const dbeta = new Float64Array(channels);
  const dyx = new Float64Array(channels);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const g = dy[base + c]!;
      dbeta[c] += g;
      dyx[c] += g * x[base + c]!;
    }
  }
  const dgamma = new Float64Array(channels);
  for (let c = 0; c < channels; c++) dgamma[c] = (dyx[c]! - mean[c]! * dbeta[c]!) * inv[c]!;
  // dx = k * dy + a * x + b per channel, with k = gamma*inv, a = -k*inv*dgamma/N, b = -k*dbeta/N - a*mean.
  const k = new Float64Array(channels);
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    k[c] = gamma[c]! * inv[c]!;
    a[c] = (-k[c]! * inv[c]! * dgamma[c]!) / n;
    b[c] = (-k[c]! * dbeta[c]!) / n - a[c]! * mean[c]!;
  }
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) dx[base + c] = k[c]! * dy[base + c]! + a[c]! * x[base + c]! + b[c]!;
  }
  return { dgamma, dbeta };
}

export function checkInputs(x: tf.TensorInfo, gamma: tf.TensorInfo, kernel: string): void {
  const channels = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || gamma.shape.length !== 1 || gamma.shape[0] !== channels) {
    throw new Error(`${kernel}: expected float32 x [..., C] and gamma [C], got x ${x.dtype} [${x.shape}] and gamma [${gamma.shape}]`);
  }
}

function forwardKernel(mem: KernelMemory, { inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  checkInputs(x, gamma, BATCH_NORM_TRAIN);
  const eps = (attrs as unknown as { eps: number }).eps;
  let stats: { mean: Float64Array; variance: Float64Array } | undefined;
  const y = mem.output([...x.shape], (out) => {
    stats = batchNormTrainForward(mem.read(x), mem.read(gamma), mem.read(beta), eps, out);
  });
  const mean = mem.output([...gamma.shape], (out) => out.set(stats!.mean));
  const variance = mem.output([...gamma.shape], (out) => out.set(stats!.variance));
  return [y, mean, variance];
}

function gradKernel(mem: KernelMemory, { inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { dy, x, gamma, mean, variance } = inputs as Record<string, tf.TensorInfo>;
  checkInputs(x!, gamma!, BATCH_NORM_TRAIN_GRAD);
  const eps = (attrs as unknown as { eps: number }).eps;
  let sums: { dgamma: Float64Array; dbeta: Float64Array } | undefined;
  const dx = mem.output([...x!.shape], (out) => {
    sums = batchNormTrainBackward(mem.read(dy!), mem.read(x!), mem.read(gamma!), mem.read(mean!), mem.read(variance!), eps, out);
  });
  const dgamma = mem.output([...gamma!.shape], (out) => out.set(sums!.dgamma));
  const dbeta = mem.output([...gamma!.shape], (out) => out.set(sums!.dbeta));
  return [dx, dgamma, dbeta];
}

/** Registers both kernels for 'cpu' (the JS loops; wasm registers the SIMD module's: batchnorm_wasm.ts) (idempotent). */
export function registerBatchNormKernels(backendName: JsKernelBackend): void {
  registerJsKernel(BATCH_NORM_TRAIN, backendName, forwardKernel);
  registerJsKernel(BATCH_NORM_TRAIN_GRAD, backendName, gradKernel);
}
