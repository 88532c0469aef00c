/**
 * Building blocks for the depth/pose networks as plain tf.Variables and functional ops (no tfjs-layers), so every op
 * runs and differentiates on the wasm and cpu backends with the project's kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, BATCH_NORM_TRAIN_RUNNING } from '../backend/batchnorm_kernels.js';
import { reflectPad } from '../backend/reflect_pad.js';
import { Rng } from '../util/random.js';

export type PaddingMode = 'reflect' | 'zero';

/** Holds named variables; names are hierarchical (`encoder/layer1/0/conv1/kernel`) and stable across runs. */
export class ParamStore {
  readonly trainable = new Map<string, tf.Variable>();
  readonly nonTrainable = new Map<string, tf.Variable>();

  add(name: string, value: tf.Tensor, trainable = true): tf.Variable {
    if (this.trainable.has(name) || this.nonTrainable.has(name)) {
      value.dispose();
      throw new Error(`ParamStore: variable name "${name}" registered twice`);
    }
    const v = tf.variable(value, trainable, name + '_' + Math.random().toString(36).slice(2, 8));
    value.dispose();
    (trainable ? this.trainable : this.nonTrainable).set(name, v);
    return v;
  }
  /** Disposes and forgets the variables whose name starts with `prefix` (one encoder or decoder of a shared store). */
  disposePrefix(prefix: string): void {
    for (const map of [this.trainable, this.nonTrainable]) {
      for (const [name, v] of [...map]) {
        if (!name.startsWith(prefix)) continue;
        v.dispose();
        map.delete(name);
      }
    }
  }
  dispose(): void {
    for (const v of this.trainable.values()) v.dispose();
    for (const v of this.nonTrainable.values()) v.dispose();
    this.trainable.clear();
    this.nonTrainable.clear();
  }
}

/** Kaiming-normal init, torch `kaiming_normal_(mode='fan_out', nonlinearity='relu')` as torchvision ResNet uses:
 *  std = sqrt(2 / (k*k*outChannels)). Values come from the seeded Rng so a seed fixes the weights. */
export function kaimingNormalFanOut(shape: [number, number, number, number], rng: Rng): tf.Tensor4D {
  const [kh, kw, , outC] = shape;
  const std = Math.sqrt(2 / (kh * kw * outC));
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal(0, std);
  return tf.tensor4d(data, shape);
}

/** torch's default Conv2d init (kaiming_uniform with a=sqrt(5)): weights and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function torchDefaultUniform(shape: number[], fanIn: number, rng: Rng): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(-bound, bound);
  return tf.tensor(data, shape);
}

/** Reflection pad (torch ReflectionPad2d), differentiable: the model code's name for src/backend/reflect_pad.ts. */
export { reflectPad };

export interface Conv2dParams { kernel: tf.Variable; bias?: tf.Variable }

/** Creates a conv. `init: 'kaiming'` = torchvision ResNet (no bias); `'torch'` = nn.Conv2d default (with bias). */
export function createConv2d(store: ParamStore, name: string, inC: number, outC: number, k: number, rng: Rng,
  opts: { bias: boolean; init: 'kaiming' | 'torch' }): Conv2dParams {
  const shape: [number, number, number, number] = [k, k, inC, outC];
  const kernel = store.add(`${name}/kernel`,
    opts.init === 'kaiming' ? kaimingNormalFanOut(shape, rng) : torchDefaultUniform(shape, k * k * inC, rng));
  if (!opts.bias) return { kernel };
  const bias = store.add(`${name}/bias`,
    opts.init === 'kaiming' ? tf.zeros([outC]) : torchDefaultUniform([outC], k * k * inC, rng));
  return { kernel, bias };
}

/** libtensorflow's Conv2D (tfjs-node) refuses EXPLICIT padding; wasm and cpu take it without materialising the pad. */
export function explicitPaddingSupported(): boolean {
  return tf.getBackend() !== 'tensorflow';
}

/**
 * Conv with explicit padding (torch semantics: pad `pad` each side, then a 'valid' conv with `stride`). Where the backend
 * takes it, zero padding is passed to the conv itself rather than materialised, so the input gradient is computed for
 * the real input only (materialising it made the deepest layers' input gradient twice as large: 5x12 padded vs 3x10).
 */
export function conv2d(x: tf.Tensor4D, p: Conv2dParams, stride: number, pad: number, mode: PaddingMode): tf.Tensor4D {
  return tf.tidy(() => {
    const kernel = p.kernel as tf.Tensor4D;
    const y = pad === 0 ? tf.conv2d(x, kernel, stride, 'valid')
      : mode === 'reflect' ? tf.conv2d(reflectPad(x, pad), kernel, stride, 'valid')
        : explicitPaddingSupported() ? tf.conv2d(x, kernel, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
          : tf.conv2d(tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), kernel, stride, 'valid');
    return p.bias ? tf.add(y, p.bias) : y;
  });
}

export interface BatchNormParams {
  gamma: tf.Variable; beta: tf.Variable; runningMean: tf.Variable; runningVar: tf.Variable;
  momentum: number; eps: number;
}

/** torch BatchNorm2d defaults: momentum 0.1, eps 1e-5, gamma 1, beta 0, running mean 0, running var 1. */
export function createBatchNorm(store: ParamStore, name: string, channels: number): BatchNormParams {
  return {
    gamma: store.add(`${name}/gamma`, tf.ones([channels])),
    beta: store.add(`${name}/beta`, tf.zeros([channels])),
    runningMean: store.add(`${name}/running_mean`, tf.zeros([channels]), false),
    runningVar: store.add(`${name}/running_var`, tf.ones([channels]), false),
    momentum: 0.1,
    eps: 1e-5,
  };
}

/**
 * Batch norm with torch semantics (torch.nn.BatchNorm2d): in training, normalise with the batch mean and the biased
 * batch variance, and update running = (1-m)*running + m*batch using the unbiased variance (n/(n-1)); at inference
 * normalise with the running statistics. Training uses the fused kernels of src/backend/batchnorm_kernels.ts where the
 * active backend has them (wasm, cpu; tensorflow through native_kernels.ts: ~25 tfjs kernels per layer otherwise), else
 * the same maths from tf ops.
 */
export function batchNorm(x: tf.Tensor4D, p: BatchNormParams, training: boolean): tf.Tensor4D {
  if (training && tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend())) return batchNormTrainFused(x, p);
  return tf.tidy(() => {
    if (!training) {
      const inv = tf.rsqrt(tf.add(p.runningVar, p.eps));
      return tf.add(tf.mul(tf.sub(x, p.runningMean), tf.mul(inv, p.gamma)), p.beta);
    }
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    updateRunningStats(p, mean, variance, x.shape[0] * x.shape[1] * x.shape[2]);
    const inv = tf.rsqrt(tf.add(variance, p.eps));
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), inv), p.gamma), p.beta);
  });
}

/** running = (1-m)*running + m*batch, with the unbiased batch variance. */
function updateRunningStats(p: BatchNormParams, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
  tf.tidy(() => {
    const unbiased = tf.mul(variance, n > 1 ? n / (n - 1) : 1);
    p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - p.momentum), tf.mul(mean, p.momentum)));
    p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - p.momentum), tf.mul(unbiased, p.momentum)));
  });
}

/** The fused forward [y, batch mean, biased batch variance], p's running statistics updated: by the same kernel where the
 *  backend has BATCH_NORM_TRAIN_RUNNING (tensorflow), else from the batch statistics. */
function batchNormForwardUpdating(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, p: BatchNormParams, attrs: tf.NamedAttrMap): tf.Tensor[] {
  if (tf.getKernel(BATCH_NORM_TRAIN_RUNNING, tf.getBackend())) {
    const [y, mean, variance, runningMean, runningVar] = tf.engine().runKernel(BATCH_NORM_TRAIN_RUNNING,
      { x, gamma, beta, runningMean: p.runningMean, runningVar: p.runningVar }, attrs) as tf.Tensor[];
    p.runningMean.assign(runningMean!);
    p.runningVar.assign(runningVar!);
    tf.dispose([runningMean!, runningVar!]);
    return [y!, mean!, variance!];
  }
  const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, attrs) as tf.Tensor[];
  updateRunningStats(p, mean!, variance!, x.shape[0]! * x.shape[1]! * x.shape[2]!);
  return [y!, mean!, variance!];
}

/** Training batch norm as one fused kernel with a fused gradient (x, gamma and beta); the running stats are updated. */
function batchNormTrainFused(x: tf.Tensor4D, p: BatchNormParams): tf.Tensor4D {
  const attrs = { eps: p.eps, momentum: p.momentum } as unknown as tf.NamedAttrMap;
  const fused = tf.customGrad(((xx: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = batchNormForwardUpdating(xx, gamma, beta, p, attrs);
    save([xx, gamma, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sGamma, sMean, sVariance] = saved;
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x: sx!, gamma: sGamma!, mean: sMean!, variance: sVariance! }, attrs) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fused(x, p.gamma, p.beta) as tf.Tensor4D;
}

/** ELU with alpha 1 (torch nn.ELU default). */
export function elu(x: tf.Tensor4D): tf.Tensor4D {
  return tf.elu(x);
}

/** Nearest x2 upsample (torch F.interpolate(scale_factor=2, mode='nearest')); gradient = sum over each 2x2 block. On
 *  tensorflow one ResizeNearestNeighbor (TensorFlow's op and its gradient are right for x2: source = floor(dst / 2)),
 *  ~5 fewer kernels and two fewer full-size copies each way; elsewhere reshape + concat, not tf.image.resizeNearestNeighbor:
 *  the cpu backend's gradient of that op is wrong. */
export function upsampleNearest2x(x: tf.Tensor4D): tf.Tensor4D {
  if (tf.getBackend() === 'tensorflow') return tf.image.resizeNearestNeighbor(x, [2 * x.shape[1], 2 * x.shape[2]], false, false);
  return tf.tidy(() => {
    // Rank-4 concats only: tfjs has no gradient for Tile/broadcastTo above rank 4.
    const [b, h, w, c] = x.shape;
    const cols = tf.reshape(x, [b * h, w, 1, c]);
    const wide = tf.reshape(tf.concat([cols, cols], 2), [b, h, 1, 2 * w * c]);
    return tf.reshape(tf.concat([wide, wide], 2), [b, 2 * h, 2 * w, c]);
  });
}

/** 3x3 stride-2 max pool with torch padding=1 (padding never wins the max): out = floor((H+2-3)/2)+1. tfjs 'same'
 *  pooling pads asymmetrically for even sizes and picks different windows, so explicit padding 1 with floor rounding
 *  is used (no padded copy of the input, and its gradient is computed for the real input only). */
export function maxPool3x3s2Torch(x: tf.Tensor4D): tf.Tensor4D {
  if (explicitPaddingSupported()) return tf.maxPool(x, 3, 2, 1, 'floor');
  return tf.tidy(() => tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], -3.4e38), 3, 2, 'valid'));
}
