/**
 * Building blocks of the small networks (MobileNet v1/v2/v3, NNConv5, resize + depthwise decoders): depthwise convs,
 * hard-swish / hard-sigmoid, squeeze-and-excitation, bilinear resize, conv + batch norm + activation units. Plain
 * tf.Variables and tfjs-core ops, so they run and differentiate on every backend (the wasm depthwise gradients are
 * the project's kernels in src/backend/wasm_kernels.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

import { relu } from '../backend/relu.js';
import { Rng } from '../util/random.js';
import {
  ParamStore, batchNorm, conv2d, createBatchNorm, explicitPaddingSupported, kaimingNormalFanOut,
  type BatchNormParams, type Conv2dParams,
} from './layers.js';

export type Activation = 'relu' | 'relu6' | 'hswish' | 'none';

/** torchvision `_make_divisible`: round v to the nearest multiple of `divisor` (at least `min`), never more than
 *  10% below v. MobileNet v2/v3 channel counts under a width multiplier. */
export function makeDivisible(v: number, divisor = 8, min = divisor): number {
  let rounded = Math.max(min, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

/** hard-sigmoid (torch F.hardsigmoid, MobileNetV3): relu6(x + 3) / 6. */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
}

/** hard-swish (torch F.hardswish, MobileNetV3): x * relu6(x + 3) / 6. */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, hardSigmoid(x)));
}

export function activate(x: tf.Tensor4D, act: Activation): tf.Tensor4D {
  switch (act) {
    case 'relu': return relu(x);
    case 'relu6': return tf.relu6(x);
    case 'hswish': return hardSwish(x) as tf.Tensor4D;
    case 'none': return x;
  }
}

export interface DepthwiseParams { kernel: tf.Variable; bias?: tf.Variable }

/** Depthwise k x k kernel [k,k,C,1] with torch's kaiming fan-out init for a grouped conv (fan-out = k*k*C, as
 *  torchvision MobileNets and fast-depth's weights_init draw it): std = sqrt(2 / (k*k*C)). */
export function createDepthwiseConv(store: ParamStore, name: string, channels: number, k: number, rng: Rng): DepthwiseParams {
  const std = Math.sqrt(2 / (k * k * channels));
  const data = new Float32Array(k * k * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return { kernel: store.add(`${name}/kernel`, tf.tensor4d(data, [k, k, channels, 1])) };
}

/** Depthwise conv with torch zero padding `pad` each side (explicit padding where the backend takes it). */
export function depthwiseConv2d(x: tf.Tensor4D, p: DepthwiseParams, stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const kernel = p.kernel as tf.Tensor4D;
    const y = pad === 0 ? tf.depthwiseConv2d(x, kernel, stride, 'valid')
      : explicitPaddingSupported() ? tf.depthwiseConv2d(x, kernel, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        : tf.depthwiseConv2d(tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), kernel, stride, 'valid');
    return p.bias ? tf.add(y, p.bias) : y;
  });
}

/** conv (dense or depthwise, no bias) -> batch norm -> activation: the unit every MobileNet layer is made of. */
export interface ConvUnit {
  conv: Conv2dParams | DepthwiseParams;
  depthwise: boolean;
  bn: BatchNormParams;
  stride: number;
  pad: number;
  act: Activation;
}

export function createConvUnit(store: ParamStore, name: string, inC: number, outC: number, k: number, rng: Rng,
  opts: { stride?: number; act: Activation; depthwise?: boolean }): ConvUnit {
  const depthwise = opts.depthwise ?? false;
  if (depthwise && inC !== outC) throw new Error(`${name}: a depthwise conv keeps the channels, got ${inC} -> ${outC}`);
  const conv = depthwise ? createDepthwiseConv(store, `${name}/conv`, inC, k, rng)
    : { kernel: store.add(`${name}/conv/kernel`, kaimingNormalFanOut([k, k, inC, outC], rng)) };
  return { conv, depthwise, bn: createBatchNorm(store, `${name}/bn`, outC), stride: opts.stride ?? 1, pad: (k - 1) >> 1, act: opts.act };
}

export function applyConvUnit(x: tf.Tensor4D, u: ConvUnit, training: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const y = u.depthwise ? depthwiseConv2d(x, u.conv, u.stride, u.pad) : conv2d(x, u.conv, u.stride, u.pad, 'zero');
    return activate(batchNorm(y, u.bn, training), u.act);
  });
}

/** Squeeze-and-excitation (Hu et al. 2018, MobileNetV3 form): global average pool -> 1x1 conv -> ReLU -> 1x1 conv ->
 *  hard-sigmoid -> channel-wise scale. */
export interface SqueezeExcite { reduce: Conv2dParams; expand: Conv2dParams }

/** torchvision init: kaiming fan-out weights, zero biases. */
export function createSqueezeExcite(store: ParamStore, name: string, channels: number, squeeze: number, rng: Rng): SqueezeExcite {
  const conv = (n: string, i: number, o: number): Conv2dParams => ({
    kernel: store.add(`${name}/${n}/kernel`, kaimingNormalFanOut([1, 1, i, o], rng)),
    bias: store.add(`${name}/${n}/bias`, tf.zeros([o])),
  });
  return { reduce: conv('fc1', channels, squeeze), expand: conv('fc2', squeeze, channels) };
}

export function squeezeExcite(x: tf.Tensor4D, se: SqueezeExcite): tf.Tensor4D {
  return tf.tidy(() => {
    const pooled = tf.mean(x, [1, 2], true) as tf.Tensor4D;
    const s = conv2d(relu(conv2d(pooled, se.reduce, 1, 0, 'zero')), se.expand, 1, 0, 'zero');
    return tf.mul(x, hardSigmoid(s)) as tf.Tensor4D;
  });
}

/** Bilinear resize with torch's align_corners=False convention (half-pixel centres), differentiable on every backend. */
export function resizeBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  if (x.shape[1] === size[0] && x.shape[2] === size[1]) return tf.clone(x);
  return tf.image.resizeBilinear(x, size, false, true);
}
