/**
 * Training kernels for the tfjs `wasm` backend (4.22), registered by `initBackend('wasm')`.
 *
 * Stock tfjs-wasm lacks Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/-Filter and UnsortedSegmentSum,
 * and its Conv2DBackpropInput is a slow naive loop; its Identity copies the data of every tensor tfjs saves for
 * backprop. Strategies and measurements: /work/shared/reference/WASM-TRAINING.md ("Kernel strategies").
 * Kernels are composed from the backend's own XNNPACK kernels via `tf.getKernel(name, 'wasm').kernelFunc`, and
 * JS loops over heap views (views are taken after every allocation because the heap may grow; intermediates are
 * released with `disposeData`).
 *
 * Op audit (forward + gradient on wasm) for ResNet18/50 + monodepth2 decoder + losses: conv2d (fwd: Conv2D;
 * grads: Conv2DBackpropInput here, Conv2DBackpropFilter here), depthwise (grads here), moments/mean/sum
 * (Mean, Sum, Sub, Square, RealDiv), relu/elu/sigmoid (Relu/Step, Elu/EluGrad, Sigmoid/Mul), maxPool/MaxPoolGrad,
 * avgPool/AvgPoolGrad, PadV2/MirrorPad (grad: Slice), Concat (grad: Slice/SplitV), ResizeNearestNeighbor(+Grad),
 * ResizeBilinear(+Grad), GatherV2 (grad: UnsortedSegmentSum here), GatherNd (grad: ScatterNd), Select, ClipByValue,
 * Abs, Exp, Log, Min, ArgMin, Transpose, Slice, Pack, Tile, Cast: all present in tfjs-backend-wasm 4.22 or here.
 * ResizeBilinearGrad is replaced because the stock one ignores halfPixelCenters.
 *
 * Speed: Conv2D and its filter gradient run the project's direct SIMD kernels on every wasm thread (wasm_conv_direct.ts);
 * the input gradient picks per layer between a convolution of dy and a matrix product (wasm_conv_gemm.ts); data movement, broadcasting,
 * reductions and batched matmuls that the stock kernels run per element are replaced in wasm_array_kernels.ts;
 * training batch norm and reflection padding are fused kernels (batchnorm_kernels.ts, reflect_pad.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { arrayKernelReplacements } from './wasm_array_kernels.js';
import { resizeBilinearAdjoint } from './cpu_kernels.js';
import { conv2dBackpropInputGemm } from './wasm_conv_gemm.js';
import { convGeometry, type ConvGeometry } from './wasm_conv_geometry.js';
import { conv2dBackpropFilterDirect, conv2dDirect } from './wasm_conv_direct.js';
import { offsetOf, simdKernelReplacements, simdKernels } from './simd_kernels.js';
import { heap, runWasm, type Info, type WasmBackend } from './wasm_util.js';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/**
 * How Conv2DBackpropInput is computed: 'auto' picks per layer (`inputGradByConv`); 'conv' forces the flipped-filter
 * convolution (stride phases for stride > 1), 'gemm' the matrix product and col2im (tests, benches).
 */
export type ConvFormulation = 'auto' | 'gemm' | 'conv';
let convFormulation: ConvFormulation = 'auto';

export function setWasmConvFormulation(f: ConvFormulation): void {
  convFormulation = f;
}

/**
 * The input gradient as a convolution of dy (which runs on the direct forward kernel) for stride-1 layers with enough
 * output positions; the matrix product wins on the deep layers' few positions and on strided layers, whose phases are
 * small convolutions (measured per layer of ResNet18 + monodepth2 at 96x320 batch 4, docs/experiments.md).
 */
function inputGradByConv(g: ConvGeometry): boolean {
  if (convFormulation !== 'auto') return convFormulation === 'conv';
  return g.sh === 1 && g.sw === 1 && g.batch * g.oh * g.ow >= 256;
}

function conv2DInfo(xShape: readonly number[], filterShape: readonly number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const { strides, pad, dimRoundingMode, dilations } = attrs as unknown as Conv2DAttrs;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations ?? 1, pad, dimRoundingMode);
}

/** Conv2D: the direct SIMD kernel (wasm_conv_direct.ts) for float32 NHWC, else stock. */
function conv2D(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }, stock: tf.KernelFunc): Info {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs as { x: Info; filter: Info };
  const format = (attrs as unknown as { dataFormat?: string }).dataFormat ?? 'NHWC';
  if (format !== 'NHWC' || x.dtype !== 'float32') return stock(args as never) as Info;
  const g = convGeometry(conv2DInfo(x.shape, filter.shape, attrs));
  return conv2dDirect(x, filter, g, backend);
}

/** dW[i,j,ci,co] = sum_{b,oh,ow} x[b, oh*s+i-pt, ow*s+j-pl, ci] * dy[b,oh,ow,co] (TF Conv2DBackpropFilter), direct. */
function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { filterShape } = attrs as unknown as { filterShape: number[] };
  return conv2dBackpropFilterDirect(x, dy, convGeometry(conv2DInfo(x.shape, filterShape, attrs)), backend);
}

let stockConv2DBackpropInput: tf.KernelFunc | undefined;

/** One tap of a filter, [ci, co] at float offset `from` of `filter`, transposed to [co, ci] at offset `to` of `dst`. */
function tapTransposed(filter: Info, from: number, ci: number, co: number, dst: Info, to: number, backend: WasmBackend): void {
  simdKernels(backend).transpose_f32(offsetOf(backend, filter) + 4 * from, ci, co, offsetOf(backend, dst) + 4 * to);
}

/**
 * dx = Conv2D(dy_z, W~) with W~[i,j,co,ci] = W[kh-1-i, kw-1-j, ci, co] (TF Conv2DBackpropInput), where dy_z is dy
 * with s-1 zeros inserted between samples for stride s > 1; pads (kh-1-pt, H+pt-OH_z) and likewise for width.
 * Falls back to the stock kernel when a pad would be negative.
 */
function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const { inputShape } = attrs as unknown as { inputShape: number[] };
  const info = conv2DInfo(inputShape, filter.shape, attrs);
  const g: ConvGeometry = convGeometry(info);
  if (!inputGradByConv(g)) return conv2dBackpropInputGemm(dy, filter, g, backend);
  const [batch, inH, inW, ci] = inputShape as [number, number, number, number];
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const zh = (oh - 1) * sh + 1;
  const zw = (ow - 1) * sw + 1;
  const padT = kh - 1 - info.padInfo.top;
  const padB = inH + info.padInfo.top - zh;
  const padL = kw - 1 - info.padInfo.left;
  const padR = inW + info.padInfo.left - zw;
  if (padT < 0 || padB < 0 || padL < 0 || padR < 0) return stockConv2DBackpropInput!(args as never) as Info;

  if (sh > 1 || sw > 1) {
    const phased = conv2DBackpropInputPhases(dy, filter, backend, { batch, inH, inW, ci, co, kh, kw, sh, sw, oh, ow, pt: info.padInfo.top, pl: info.padInfo.left });
    if (phased) return phased;
  }
  const flipped = backend.makeOutput([kh, kw, co, ci], 'float32') as Info;
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    tapTransposed(filter, ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co, ci, co, flipped, (i * kw + j) * co * ci, backend);
  }
  let dyZ = dy;
  if (sh > 1 || sw > 1) {
    dyZ = backend.makeOutput([batch, zh, zw, co], 'float32') as Info;
    const z = heap(backend, dyZ);
    z.fill(0);
    const d = heap(backend, dy);
    for (let b = 0; b < batch; b++) for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) {
      const src = ((b * oh + r) * ow + c) * co;
      z.set(d.subarray(src, src + co), ((b * zh + r * sh) * zw + c * sw) * co);
    }
  }
  const explicit: Pad4 = [[0, 0], [padT, padB], [padL, padR], [0, 0]];
  const out = runWasm('Conv2D', backend, { x: dyZ, filter: flipped }, {
    strides: [1, 1], dilations: [1, 1], pad: explicit, dataFormat: 'NHWC', dimRoundingMode: undefined,
  });
  backend.disposeData(flipped.dataId);
  if (dyZ !== dy) backend.disposeData(dyZ.dataId);
  return out;
}

interface PhaseGeometry {
  batch: number; inH: number; inW: number; ci: number; co: number;
  kh: number; kw: number; sh: number; sw: number; oh: number; ow: number; pt: number; pl: number;
}

/** One axis of a stride phase r: taps i = r + s*m (m < M), output rows h = s*q + r - pt for q in [qMin, qMin+L). */
function phaseAxis(r: number, k: number, s: number, inSize: number, outSize: number, pad: number) {
  const taps = Math.max(0, Math.ceil((k - r) / s));
  const qMin = Math.ceil((pad - r) / s);
  const qMax = Math.floor((inSize - 1 + pad - r) / s);
  const count = qMax - qMin + 1;
  const padBefore = taps - 1 - qMin;
  const padAfter = count + taps - 1 - padBefore - outSize;
  return { taps, qMin, count, padBefore, padAfter };
}

/**
 * Stride > 1 input gradient by phase (sub-pixel) decomposition (WASM-TRAINING.md): output rows with
 * (h+pt) mod s = r only receive taps i = r + s*m, so each of the s^2 phases is one stride-1 conv of dy with
 * the flipped sub-filter W[r + s*(M-1-m')], scattered into dx[s*q + r - pt]. Same FLOPs as the forward.
 * Returns undefined when a phase would need a negative pad (the caller then zero-inserts dy).
 */
function conv2DBackpropInputPhases(dy: Info, filter: Info, backend: WasmBackend, g: PhaseGeometry): Info | undefined {
  const rows = Array.from({ length: g.sh }, (_, r) => phaseAxis(r, g.kh, g.sh, g.inH, g.oh, g.pt));
  const cols = Array.from({ length: g.sw }, (_, r) => phaseAxis(r, g.kw, g.sw, g.inW, g.ow, g.pl));
  const usable = (a: ReturnType<typeof phaseAxis>): boolean => a.taps === 0 || a.count <= 0 || (a.padBefore >= 0 && a.padAfter >= 0);
  if (!rows.every(usable) || !cols.every(usable)) return undefined;
  const out = backend.makeOutput([g.batch, g.inH, g.inW, g.ci], 'float32') as Info;
  heap(backend, out).fill(0);
  for (let rh = 0; rh < g.sh; rh++) for (let rw = 0; rw < g.sw; rw++) {
    const ra = rows[rh]!;
    const ca = cols[rw]!;
    if (ra.taps === 0 || ca.taps === 0 || ra.count <= 0 || ca.count <= 0) continue;
    const sub = backend.makeOutput([ra.taps, ca.taps, g.co, g.ci], 'float32') as Info;
    for (let a = 0; a < ra.taps; a++) for (let b = 0; b < ca.taps; b++) {
      const i = rh + g.sh * (ra.taps - 1 - a);
      const j = rw + g.sw * (ca.taps - 1 - b);
      tapTransposed(filter, (i * g.kw + j) * g.ci * g.co, g.ci, g.co, sub, (a * ca.taps + b) * g.co * g.ci, backend);
    }
    const explicit: Pad4 = [[0, 0], [ra.padBefore, ra.padAfter], [ca.padBefore, ca.padAfter], [0, 0]];
    const phase = runWasm('Conv2D', backend, { x: dy, filter: sub }, {
      strides: [1, 1], dilations: [1, 1], pad: explicit, dataFormat: 'NHWC', dimRoundingMode: undefined,
    });
    backend.disposeData(sub.dataId);
    const pv = heap(backend, phase);
    const dx = heap(backend, out);
    for (let b = 0; b < g.batch; b++) for (let t = 0; t < ra.count; t++) {
      const h = g.sh * (ra.qMin + t) + rh - g.pt;
      for (let u = 0; u < ca.count; u++) {
        const w = g.sw * (ca.qMin + u) + rw - g.pl;
        const src = ((b * ra.count + t) * ca.count + u) * g.ci;
        dx.set(pv.subarray(src, src + g.ci), ((b * g.inH + h) * g.inW + w) * g.ci);
      }
    }
    backend.disposeData(phase.dataId);
  }
  return out;
}

interface DepthwiseGeometry {
  batch: number; inH: number; inW: number; channels: number; multiplier: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; oh: number; ow: number; pt: number; pl: number;
}

function depthwiseGeometry(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap): DepthwiseGeometry {
  const { strides, pad, dimRoundingMode, dilations } = attrs as unknown as Conv2DAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations ?? 1, pad, dimRoundingMode, true);
  return {
    batch: xShape[0]!, inH: xShape[1]!, inW: xShape[2]!, channels: xShape[3]!, multiplier: filterShape[3]!,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, oh: info.outHeight, ow: info.outWidth,
    pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

/**
 * Visits every (output pixel, tap) pair of a depthwise conv whose input pixel is inside the image
 * (TF DepthwiseConv2dNative: y[b,oh,ow,c*M+m] = sum_{i,j} x[b, oh*s+i*d-pt, ow*s+j*d-pl, c] * W[i,j,c,m]).
 */
function forEachDepthwiseTap(g: DepthwiseGeometry, visit: (xBase: number, dyBase: number, wBase: number) => void): void {
  const cm = g.channels * g.multiplier;
  for (let b = 0; b < g.batch; b++) for (let r = 0; r < g.oh; r++) for (let c = 0; c < g.ow; c++) {
    const dyBase = ((b * g.oh + r) * g.ow + c) * cm;
    for (let i = 0; i < g.kh; i++) {
      const h = r * g.sh + i * g.dh - g.pt;
      if (h < 0 || h >= g.inH) continue;
      for (let j = 0; j < g.kw; j++) {
        const w = c * g.sw + j * g.dw - g.pl;
        if (w < 0 || w >= g.inW) continue;
        visit(((b * g.inH + h) * g.inW + w) * g.channels, dyBase, (i * g.kw + j) * cm);
      }
    }
  }
}

/** dx[b,h,w,c] = sum over taps reaching (h,w) and m of dy[..., c*M+m] * W[i,j,c,m]; honours dilation. */
function depthwiseBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const inputShape = (attrs as unknown as { inputShape: number[] }).inputShape;
  const g = depthwiseGeometry(inputShape, filter.shape, attrs);
  const out = backend.makeOutput(inputShape, 'float32') as Info;
  const dx = heap(backend, out);
  dx.fill(0);
  const dyv = heap(backend, dy);
  const wv = heap(backend, filter);
  const { channels, multiplier: mult } = g;
  if (mult === 1) {
    // the MobileNet case: one tight loop over the channels of each tap (3-4x faster than the general loop)
    forEachDepthwiseTap(g, (xBase, dyBase, wBase) => {
      for (let c = 0; c < channels; c++) dx[xBase + c] += dyv[dyBase + c]! * wv[wBase + c]!;
    });
    return out;
  }
  forEachDepthwiseTap(g, (xBase, dyBase, wBase) => {
    for (let c = 0; c < channels; c++) {
      let acc = 0;
      for (let m = 0; m < mult; m++) acc += dyv[dyBase + c * mult + m]! * wv[wBase + c * mult + m]!;
      dx[xBase + c] += acc;
    }
  });
  return out;
}

/** dW[i,j,c,m] = sum_{b,oh,ow} x[b, oh*s+i*d-pt, ow*s+j*d-pl, c] * dy[b,oh,ow,c*M+m]; honours dilation. */
function depthwiseBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const filterShape = (attrs as unknown as { filterShape: number[] }).filterShape;
  const g = depthwiseGeometry(x.shape, filterShape, attrs);
  const out = backend.makeOutput(filterShape, 'float32') as Info;
  const dw = heap(backend, out);
  dw.fill(0);
  const xv = heap(backend, x);
  const dyv = heap(backend, dy);
  const { channels, multiplier: mult } = g;
  if (mult === 1) {
    forEachDepthwiseTap(g, (xBase, dyBase, wBase) => {
      for (let c = 0; c < channels; c++) dw[wBase + c] += xv[xBase + c]! * dyv[dyBase + c]!;
    });
    return out;
  }
  forEachDepthwiseTap(g, (xBase, dyBase, wBase) => {
    for (let c = 0; c < channels; c++) {
      const xval = xv[xBase + c]!;
      for (let m = 0; m < mult; m++) dw[wBase + c * mult + m] += xval * dyv[dyBase + c * mult + m]!;
    }
  });
  return out;
}

/** out[seg] = sum of x rows whose id is seg (TF UnsortedSegmentSum); ids outside [0, numSegments) are dropped. */
function unsortedSegmentSum({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  const idCount = tf.util.sizeFromShape(segmentIds.shape);
  const inner = idCount === 0 ? 0 : tf.util.sizeFromShape(x.shape) / idCount;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype) as Info;
  const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  o.fill(0);
  const xv = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  for (let k = 0; k < idCount; k++) {
    const seg = ids[k]!;
    if (seg < 0 || seg >= numSegments) continue;
    const src = k * inner;
    const dst = seg * inner;
    for (let e = 0; e < inner; e++) o[dst + e] += xv[src + e]!;
  }
  return out;
}

/** Identity that shares the input buffer by refcount (as the cpu backend does) instead of copying it. */
function identityShared({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend }): Info {
  const { x } = inputs as { x: Info };
  if (x.dtype === 'string') throw new Error('Identity on wasm: string tensors are not supported');
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * ResizeBilinearGrad as the exact adjoint of the forward: the stock wasm (and cpu) kernel ignores
 * halfPixelCenters, which is the convention of torch's align_corners=False (monodepth2's upsampling).
 */
function resizeBilinearGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { images, dy } = inputs as { images: Info; dy: Info };
  const dx = resizeBilinearAdjoint(heap(backend, dy), dy.shape, images.shape,
    attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean });
  const out = backend.makeOutput(images.shape, 'float32') as Info;
  heap(backend, out).set(dx);
  return out;
}

/**
 * MaxPoolGrad as an argmax scatter in the SIMD module (native/wasm/kernels.c; 4 channels at a time, the same adds
 * in the same order as the JS loop it replaced): each dy value goes to the first maximum of its window in row-major
 * order, the tie rule of the cpu backend's maxPoolPositions (TF MaxPoolGrad).
 */
function maxPoolGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs: tf.NamedAttrMap }): Info {
  const { dy, input } = inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: number | [number, number]; strides: number | [number, number];
    pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const [batch, inH, inW, channels] = input.shape as [number, number, number, number];
  const out = backend.makeOutput(input.shape, 'float32') as Info;
  heap(backend, out).fill(0);
  if (channels === 0) return out;
  const geometry = backend.makeOutput([12], 'int32') as Info;
  (backend.typedArrayFromHeap(geometry) as Int32Array).set([batch, inH, inW, channels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth, info.padInfo.top, info.padInfo.left]);
  simdKernels(backend).max_pool_grad_f32(offsetOf(backend, input), offsetOf(backend, dy), offsetOf(backend, out), offsetOf(backend, geometry));
  backend.disposeData(geometry.dataId);
  return out;
}

let wasmKernelsRegistered = false;

/** Registers the training kernels for 'wasm' (idempotent; replaces stock kernels where listed). */
const stockKernels = new Map<string, tf.KernelFunc>();

/** The stock tfjs-wasm kernel a project kernel replaced (tests compare the two), or undefined. */
export function stockWasmKernel(kernelName: string): tf.KernelFunc | undefined {
  return stockKernels.get(kernelName);
}

export function registerWasmKernels(): void {
  if (wasmKernelsRegistered) return;
  // A replaced stock kernel keeps its setupFunc (it binds the C++ function the stock kernelFunc calls), so the
  // replacement can still fall back to it.
  const replace = (kernelName: string, kernelFunc: (stock: tf.KernelFunc) => unknown): void => {
    const stock = tf.getKernel(kernelName, 'wasm');
    if (stock) {
      tf.unregisterKernel(kernelName, 'wasm');
      stockKernels.set(kernelName, stock.kernelFunc);
    }
    const fallback: tf.KernelFunc = stock?.kernelFunc ?? (() => {
      throw new Error(`wasm kernel '${kernelName}': no stock kernel to fall back to`);
    });
    tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock?.setupFunc, kernelFunc: kernelFunc(fallback) as tf.KernelFunc });
  };
  replace(tf.Conv2D, (stock) => (args: Parameters<typeof conv2D>[0]) => conv2D(args, stock));
  replace(tf.Conv2DBackpropFilter, () => conv2DBackpropFilter);
  if (tf.getKernel(tf.Conv2DBackpropInput, 'wasm')) {
    replace(tf.Conv2DBackpropInput, (stock) => {
      stockConv2DBackpropInput = stock;
      return conv2DBackpropInput;
    });
  }
  replace(tf.DepthwiseConv2dNativeBackpropInput, () => depthwiseBackpropInput);
  replace(tf.DepthwiseConv2dNativeBackpropFilter, () => depthwiseBackpropFilter);
  replace(tf.UnsortedSegmentSum, () => unsortedSegmentSum);
  replace(tf.Identity, () => identityShared);
  replace(tf.ResizeBilinearGrad, () => resizeBilinearGrad);
  replace(tf.MaxPoolGrad, () => maxPoolGrad);
  for (const [name, kernel] of [...arrayKernelReplacements(), ...simdKernelReplacements()]) {
    replace(name, (stock) => (args: Parameters<typeof kernel>[0]) => kernel(args, stock));
  }
  wasmKernelsRegistered = true;
}
