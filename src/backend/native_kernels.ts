/**
 * Project kernels for the tensorflow backend (tfjs-node): each runs ONE native TensorFlow op by name through tfjs-node's
 * binding where tfjs-core would otherwise compose many small ops, each a JS -> native call and a pass over the data.
 *
 * Training batch norm: composed from tf ops, one layer costs ~35 kernels forward and backward (moments, casts, four
 * broadcasting ops and their reductions in the gradient), ~700 per ResNet18 step; FusedBatchNormV3 and
 * FusedBatchNormGradV3 (is_training, NHWC) do the same maths in one op each, with the contract of
 * src/backend/batchnorm_kernels.ts (outputs y, batch mean, biased batch variance; gradient dx, dgamma, dbeta). The
 * results round differently from the composition (TensorFlow's own float32 reductions), within the tolerances of
 * test/backend/batchnorm.test.ts. FusedBatchNormV3's exponential_avg_factor also updates the running statistics in the
 * same op (BATCH_NORM_TRAIN_RUNNING) instead of 7 small tfjs kernels per layer (~140 per ResNet18 step).
 *
 * Reflection padding: tfjs-core's MirrorPad gradient is wrong, so elsewhere the pad is slices + concats (~8 kernels
 * forward, and a full-size PadV2 per slice plus their sums backward); TensorFlow's MirrorPad and MirrorPadGrad (mode
 * REFLECT) are one op each and exact (a copy forward, a fold backward).
 *
 * 3x3 mean pooling (mean_pool.ts): TensorFlow's AvgPoolGrad is ~7x slower than the forward pool; the same adjoint is a
 * depthwise convolution of dy with a 1/9 filter and explicit padding 2 (rounded in another order). The forward pool is
 * the same filter without padding: ~30% faster than AvgPool on 3 channels (2.1 against 2.9 ms for [16,98,322,3]).
 *
 * ReLU's gradient (relu.ts): TensorFlow's ReluGrad, one op instead of tfjs-core's Cast, Step and Multiply.
 *
 * Adam: 13 element-wise ops per variable (~1150 per step, ~100 ms for ResNet18's 14 M values) become one
 * ResourceApplyAdam, one fused pass. It updates resource variables in place, so three scratch resource variables are
 * loaded with param, m and v (AssignVariableOp takes the tensor's buffer; TensorFlow copies on write) and read back
 * after the update. TensorFlow's Adam puts epsilon beside sqrt(v) and the bias corrections into lr; with beta powers 0,
 * lr = stepSize * sqrt(1 - beta2^t) and epsilon * sqrt(1 - beta2^t) it is torch's update, rounded in another order.
 * (TensorFlow also forms 1 - beta2 in float32, so v comes out ~1.3e-5 relatively smaller than torch's: within 1e-4.)
 *
 * Bilinear sampling at per-pixel coordinates (native_bilinear.ts): CropAndResize with 1x1 crops and its gradients instead
 * of the sampler's ~130 composed kernels.
 *
 * tfjs-node is an optional dependency, so nothing here imports it: the kernels reach the binding through the backend
 * object tfjs hands to every kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

import { ADAM_UPDATE, type AdamCoefficients } from './adam_kernel.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, BATCH_NORM_TRAIN_RUNNING } from './batchnorm_kernels.js';
import { keptPerKey, type KernelArgs, type KeyedData, type NativeBackend, type OpAttr } from './native_backend.js';
import { BILINEAR_KERNELS } from './native_bilinear.js';
import { flaggedTensors, NON_FINITE_FLAGS } from './finite_kernel.js';
import { MEAN_POOL3, MEAN_POOL3_GRAD } from './mean_pool.js';
import { REFLECT_PAD, REFLECT_PAD_GRAD } from './reflect_pad.js';
import { RELU_GRAD } from './relu.js';

/** Attributes shared by FusedBatchNormV3 and its gradient in training mode (float32, NHWC). */
function batchNormAttrs(b: NativeBackend, eps: number): OpAttr[] {
  const { binding } = b;
  return [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'U', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'epsilon', type: binding.TF_ATTR_FLOAT, value: eps },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: binding.TF_ATTR_BOOL, value: true },
  ];
}

function checkRank4(x: tf.TensorInfo, gamma: tf.TensorInfo, kernel: string): void {
  if (x.dtype !== 'float32' || x.shape.length !== 4 || gamma.shape.length !== 1 || gamma.shape[0] !== x.shape[3]) {
    throw new Error(`${kernel} (tensorflow): expected float32 x [N,H,W,C] and gamma [C], got x ${x.dtype} [${x.shape}] and gamma [${gamma.shape}]`);
  }
}

/**
 * FusedBatchNormV3 in training. Outputs y, then the running mean and variance blended by exponential_avg_factor f:
 * (1-f) * running + f * batch, the batch variance Bessel-corrected (n/(n-1), n > 1: torch's convention for the running
 * variance), then reserve 1-3 (batch mean, biased batch variance, unused).
 */
function fusedBatchNormTrain(b: NativeBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, eps: number, running: [tf.TensorInfo, tf.TensorInfo] | null, factor: number): tf.Tensor[] {
  // Empty running statistics with f = 1: the op only reports the batch's own.
  const empty = running ? null : tf.tensor1d([], 'float32');
  const outs = b.executeMultipleOutputs('FusedBatchNormV3', [...batchNormAttrs(b, eps), { name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: factor }],
    [x, gamma, beta, ...(running ?? [empty!, empty!])], 6);
  empty?.dispose();
  return outs;
}

/** [y, batch mean, biased batch variance]. */
function batchNormTrainNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  checkRank4(x, gamma, BATCH_NORM_TRAIN);
  const eps = (attrs as unknown as { eps: number }).eps;
  const [y, blendedMean, blendedVariance, mean, variance, reserve] = fusedBatchNormTrain(backend as NativeBackend, x, gamma, beta, eps, null, 1);
  tf.dispose([blendedMean!, blendedVariance!, reserve!]);
  return [y!, mean!, variance!];
}

/** [y, batch mean, biased batch variance, new running mean, new running variance] (BATCH_NORM_TRAIN_RUNNING). */
function batchNormTrainRunningNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta, runningMean, runningVar } = inputs as Record<'x' | 'gamma' | 'beta' | 'runningMean' | 'runningVar', tf.TensorInfo>;
  checkRank4(x, gamma, BATCH_NORM_TRAIN_RUNNING);
  const { eps, momentum } = attrs as unknown as { eps: number; momentum: number };
  const [y, newMean, newVariance, mean, variance, reserve] = fusedBatchNormTrain(backend as NativeBackend, x, gamma, beta, eps, [runningMean, runningVar], momentum);
  reserve!.dispose();
  return [y!, mean!, variance!, newMean!, newVariance!];
}

/** FusedBatchNormGradV3 in training: inputs dy, x, gamma, mean, biased variance (reserve 1 and 2 of the forward), reserve 3. */
function batchNormTrainGradNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
  checkRank4(x, gamma, BATCH_NORM_TRAIN_GRAD);
  const b = backend as NativeBackend;
  const eps = (attrs as unknown as { eps: number }).eps;
  const empty = tf.tensor1d([], 'float32');
  const outs = b.executeMultipleOutputs('FusedBatchNormGradV3', batchNormAttrs(b, eps), [dy, x, gamma, mean, variance, empty], 5);
  empty.dispose();
  const [dx, dgamma, dbeta, r4, r5] = outs;
  tf.dispose([r4!, r5!]);
  return [dx!, dgamma!, dbeta!];
}

/** MirrorPad / MirrorPadGrad (REFLECT) of H and W by attrs.pad: `x` is the input (forward) or dy (gradient). */
function mirrorPad(op: 'MirrorPad' | 'MirrorPadGrad', { inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = (op === 'MirrorPad' ? inputs.x : inputs.dy) as tf.TensorInfo;
  const p = (attrs as unknown as { pad: number }).pad;
  if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error(`${op} (tensorflow): expected float32 [N,H,W,C], got ${x.dtype} [${x.shape}]`);
  const b = backend as NativeBackend;
  const paddings = tf.tensor2d([0, 0, p, p, p, p, 0, 0], [4, 2], 'int32');
  const out = b.executeSingleOutput(op, [
    { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
    { name: 'Tpaddings', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_INT32 },
    { name: 'mode', type: b.binding.TF_ATTR_STRING, value: 'REFLECT' },
  ], [x, paddings]);
  paddings.dispose();
  return out;
}

/** The 3x3 mean of every window of x [N,H,W,C] zero-padded by `pad`: a depthwise convolution with a 1/9 filter. */
function boxMean3(b: NativeBackend, x: tf.TensorInfo, pad: number, kernel: string): tf.Tensor {
  if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error(`${kernel} (tensorflow): expected float32 [N,H,W,C], got ${x.dtype} [${x.shape}]`);
  const { binding } = b;
  const filter = tf.fill([3, 3, x.shape[3]!, 1], 1 / 9);
  const out = b.executeSingleOutput('DepthwiseConv2dNative', [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'strides', type: binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: 'padding', type: binding.TF_ATTR_STRING, value: 'EXPLICIT' },
    { name: 'explicit_paddings', type: binding.TF_ATTR_INT, value: [0, 0, pad, pad, pad, pad, 0, 0] },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
  ], [x, filter]);
  filter.dispose();
  return out;
}

/** ReluGrad(dy, y): dy where y > 0, else 0. */
function reluGradNative({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, y } = inputs as Record<'dy' | 'y', tf.TensorInfo>;
  const b = backend as NativeBackend;
  return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [dy, y]);
}

/** The scratch resource variables (param, m, v) of one tensorflow backend object. */
const adamScratch = new WeakMap<object, tf.Tensor[]>();
let scratchSets = 0;

function scratchVariables(b: NativeBackend): tf.Tensor[] {
  let handles = adamScratch.get(b);
  if (!handles) {
    const { binding } = b;
    handles = ['param', 'm', 'v'].map((name) => tf.keep(b.executeSingleOutput('VarHandleOp', [
      { name: 'container', type: binding.TF_ATTR_STRING, value: '' },
      // Distinct names: in eager mode, handles with an empty shared_name all reach one variable.
      { name: 'shared_name', type: binding.TF_ATTR_STRING, value: `stereodepth_adam_${name}_${++scratchSets}` },
      { name: 'dtype', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: 'shape', type: binding.TF_ATTR_SHAPE, value: [-1] },
    ], [])));
    adamScratch.set(b, handles);
  }
  return handles;
}

/**
 * ResourceApplyAdam's six scalar inputs, written once per set of values (once per step: every variable of a step shares
 * them) as backend data outside the engine's tensor count, rather than six new tensors per variable.
 */
const adamScalarCache: KeyedData = new WeakMap();

function adamScalars(b: NativeBackend, values: number[]): tf.TensorInfo[] {
  return keptPerKey(adamScalarCache, b, values.join(), () =>
    values.map((v) => ({ dataId: b.write(Float32Array.of(v), [], 'float32'), shape: [], dtype: 'float32' as const })));
}

function adamUpdateNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { param, m, v, grad } = inputs as Record<'param' | 'm' | 'v' | 'grad', tf.TensorInfo>;
  for (const t of [m, v, grad]) {
    if (t.dtype !== 'float32' || param.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape)) {
      throw new Error(`${ADAM_UPDATE} (tensorflow): param, m, v and grad must be float32 of one shape, got [${param.shape}] ${param.dtype} and [${t.shape}] ${t.dtype}`);
    }
  }
  const b = backend as NativeBackend;
  const { binding } = b;
  const c = attrs as unknown as AdamCoefficients;
  const handles = scratchVariables(b);
  const dtype = { name: 'dtype', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  const assignAttrs = [dtype, { name: 'validate_shape', type: binding.TF_ATTR_BOOL, value: false }];
  [param, m, v].forEach((t, i) => b.executeMultipleOutputs('AssignVariableOp', assignAttrs, [handles[i]!, t], 0));
  const scalars = adamScalars(b, [0, 0, c.stepSize * c.sqrtBiasCorrection2, c.beta1, c.beta2, c.epsilon * c.sqrtBiasCorrection2]);
  b.executeMultipleOutputs('ResourceApplyAdam', [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'use_locking', type: binding.TF_ATTR_BOOL, value: false },
    { name: 'use_nesterov', type: binding.TF_ATTR_BOOL, value: false },
  ], [...handles, ...scalars, grad], 0);
  // Each read shares the variable's buffer; the next update's assignments replace the buffers, never write into them.
  return handles.map((h) => b.executeSingleOutput('ReadVariableOp', [dtype], [h]));
}

/**
 * ResizeBilinearGrad with TensorFlow's half_pixel_centers attribute. tfjs-node 4.22's own kernel passes only
 * align_corners, so the gradient of a half-pixel (torch align_corners=False) resize came out for the other sampling
 * grid: off by up to 100% of the gradient (test/models/mobile_layers_backends.test.ts), which the decoders that
 * upsample by bilinear resize (resize_dw) trained with.
 */
function resizeBilinearGradNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { images, dy } = inputs as Record<'images' | 'dy', tf.TensorInfo>;
  const b = backend as NativeBackend;
  const { alignCorners, halfPixelCenters } = attrs as { alignCorners: boolean; halfPixelCenters: boolean };
  return b.executeSingleOutput('ResizeBilinearGrad', [
    { name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
    { name: 'align_corners', type: b.binding.TF_ATTR_BOOL, value: alignCorners },
    { name: 'half_pixel_centers', type: b.binding.TF_ATTR_BOOL, value: halfPixelCenters },
  ], [dy, images]);
}

/**
 * Step (x > 0 ? 1 : alpha; NaN stays NaN) as alpha + (1 - alpha) * Relu(Sign(x)): Sign and Relu keep NaN, and at 0
 * (either sign) Relu(Sign(x)) is 0, so 0 maps to alpha as in tfjs. tfjs-node 4.22 composes Step from a ones array filled
 * in JS, a Fill of x's size and a Select (TensorFlow's CPU Select and bool Cast run at ~8 ms per 1.5 M values, against
 * ~0.3 ms for Sign or Relu); Abs's gradient runs it on every photometric map.
 */
function stepNative({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  // (tfjs-node's own kernel fails on int32: it selects between float ones and an int32 fill.)
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`Step (tensorflow): expected float32 or int32, got ${x.dtype}`);
  const b = backend as NativeBackend;
  const T = [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: x.dtype === 'float32' ? b.binding.TF_FLOAT : b.binding.TF_INT32 }];
  const alpha = (attrs as unknown as { alpha: number }).alpha;
  const sign = b.executeSingleOutput('Sign', T, [x]);
  const positive = b.executeSingleOutput('Relu', T, [sign]);
  sign.dispose();
  if (alpha === 0) return positive;
  const [gain, offset] = [1 - alpha, alpha].map((v) => tf.scalar(v, x.dtype));
  const scaled = b.executeSingleOutput('Mul', T, [positive, gain!]);
  const out = b.executeSingleOutput('AddV2', T, [scaled, offset!]);
  tf.dispose([positive, gain!, offset!, scaled]);
  return out;
}

/**
 * Reshape to the same shape and Cast to the same dtype share the input's buffer (as tfjs-node's Identity does) instead of
 * running a TensorFlow op; other calls go to tfjs-node's kernel. tfjs-core's gradients reshape every Add / Sub / Multiply /
 * RealDiv gradient to its input's shape and cast float32 gradients to float32: ~300 such calls per ResNet18 step, each an
 * op call (and, for Reshape, an uploaded shape tensor).
 */
function unlessNoOp(stock: tf.KernelFunc, isNoOp: (x: tf.TensorInfo, attrs: tf.NamedAttrMap) => boolean): (args: KernelArgs) => tf.TensorInfo {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!isNoOp(x, args.attrs ?? {})) return stock(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
const sameShape = (x: tf.TensorInfo, attrs: tf.NamedAttrMap): boolean =>
  tf.util.arraysEqual(x.shape, tf.util.inferFromImplicitShape(attrs.shape as number[], tf.util.sizeFromShape(x.shape)));
const sameDtype = (x: tf.TensorInfo, attrs: tf.NamedAttrMap): boolean => x.dtype === attrs.dtype;

/**
 * The finite check's flags (finite_kernel.ts) as All(IsFinite(x)) over all axes per tensor, packed, then
 * sqrt(cast(all) - 1): 0 where a tensor is finite, NaN where it holds a NaN or an infinity, as the composition. The
 * reduction axes are written once per rank: the composition elsewhere uploads a scalar and an axes tensor per variable
 * and runs its ~180 kernels through the engine. IsFinite + All take half the time of Sum(Mul(x, 0)), which writes a
 * float32 copy of every variable (0.38 against 0.70 ms for 2.4 M values).
 */
function nonFiniteFlagsNative({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as NativeBackend;
  const { binding } = b;
  const T = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  const reduceAttrs = [{ name: 'Tidx', type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 }, { name: 'keep_dims', type: binding.TF_ATTR_BOOL, value: false }];
  const tensors = flaggedTensors(inputs);
  const axes = new Map<number, tf.Tensor>();
  const flags = tensors.map((t) => {
    if (t.dtype !== 'float32') throw new Error(`${NON_FINITE_FLAGS} (tensorflow): float32 tensors only, got ${t.dtype}`);
    const rank = t.shape.length;
    if (!axes.has(rank)) axes.set(rank, tf.tensor1d(Array.from({ length: rank }, (_, i) => i), 'int32'));
    const finite = b.executeSingleOutput('IsFinite', [T], [t]);
    const all = b.executeSingleOutput('All', reduceAttrs, [finite, axes.get(rank)!]);
    finite.dispose();
    return all;
  });
  const packed = b.executeSingleOutput('Pack', [{ name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_BOOL },
    { name: 'N', type: binding.TF_ATTR_INT, value: flags.length }, { name: 'axis', type: binding.TF_ATTR_INT, value: 0 }], flags);
  const ones = b.executeSingleOutput('Cast', [{ name: 'SrcT', type: binding.TF_ATTR_TYPE, value: binding.TF_BOOL }, { name: 'DstT', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'Truncate', type: binding.TF_ATTR_BOOL, value: false }], [packed]);
  const one = tf.scalar(1);
  const minusOnes = b.executeSingleOutput('Sub', [T], [ones, one]);
  const out = b.executeSingleOutput('Sqrt', [T], [minusOnes]);
  tf.dispose([...axes.values(), ...flags, packed, ones, one, minusOnes]);
  return out;
}

/** tfjs-node kernels replaced by the project's: they compute something else than tfjs-core's contract, or the same needlessly slowly. */
const REPLACED_KERNELS: [string, (args: KernelArgs) => tf.TensorInfo][] = [
  ['ResizeBilinearGrad', resizeBilinearGradNative],
  ['Step', stepNative],
];
let replaced = false;

/** Registers the tensorflow-backend kernels (idempotent); called when tfjs-node has loaded. */
export function registerNativeKernels(): void {
  if (!replaced) {
    const noOpShortcuts: [string, (args: KernelArgs) => tf.TensorInfo][] = [
      ['Reshape', unlessNoOp(tf.getKernel('Reshape', 'tensorflow')!.kernelFunc, sameShape)],
      ['Cast', unlessNoOp(tf.getKernel('Cast', 'tensorflow')!.kernelFunc, sameDtype)],
    ];
    for (const [kernelName, kernelFunc] of [...REPLACED_KERNELS, ...noOpShortcuts]) {
      if (tf.getKernel(kernelName, 'tensorflow')) tf.unregisterKernel(kernelName, 'tensorflow');
      tf.registerKernel({ kernelName, backendName: 'tensorflow', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
    replaced = true;
  }
  const kernels: [string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]][] = [
    [BATCH_NORM_TRAIN, batchNormTrainNative],
    [BATCH_NORM_TRAIN_GRAD, batchNormTrainGradNative],
    [BATCH_NORM_TRAIN_RUNNING, batchNormTrainRunningNative],
    [ADAM_UPDATE, adamUpdateNative],
    // The pool [B,H,W,C] -> [B,H-2,W-2,C]; its gradient dx [B,H+2,W+2,C] from dy [B,H,W,C] is dy padded by 2 and filtered.
    [MEAN_POOL3, ({ inputs, backend }) => boxMean3(backend as NativeBackend, inputs.x as tf.TensorInfo, 0, MEAN_POOL3)],
    [MEAN_POOL3_GRAD, ({ inputs, backend }) => boxMean3(backend as NativeBackend, inputs.dy as tf.TensorInfo, 2, MEAN_POOL3_GRAD)],
    [RELU_GRAD, reluGradNative],
    [NON_FINITE_FLAGS, nonFiniteFlagsNative],
    [REFLECT_PAD, (args) => mirrorPad('MirrorPad', args)],
    [REFLECT_PAD_GRAD, (args) => mirrorPad('MirrorPadGrad', args)],
    ...BILINEAR_KERNELS,
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'tensorflow')) tf.registerKernel({ kernelName, backendName: 'tensorflow', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
