/**
 * Differentiable reflection padding of H and W (torch ReflectionPad2d: the edge pixel is not repeated), NHWC.
 *
 * tfjs's MirrorPad gradient is wrong in 4.22 (it only slices dy, dropping the reflected contributions), so the padding
 * was built from slices + concats: ~8 kernels forward and ~12 backward per pad, ~120 ms per ResNet18 + monodepth2
 * step (the decoder's convs and SSIM pad with it). Where the backend has the kernels below (wasm, cpu; tensorflow runs
 * TensorFlow's MirrorPad/MirrorPadGrad, native_kernels.ts) it is one copy forward and one fold backward; elsewhere the
 * slices + concats remain.
 *
 * The fold reproduces the composite's gradient bit for bit: autodiff accumulates a padded column as
 * (center + right reflection) + left reflection, then rows the same way, in float32; the kernel adds in that order.
 */
import * as tf from '@tensorflow/tfjs-core';

import { registerJsKernel, type JsKernelBackend, type KernelMemory } from './kernel_memory.js';

export const REFLECT_PAD = 'StereodepthReflectPad';
export const REFLECT_PAD_GRAD = 'StereodepthReflectPadGrad';

/** Source index of padded position `i` (0..n+2p-1) in an axis of size n padded by p each side. */
function reflectIndex(i: number, n: number, p: number): number {
  const j = i - p;
  return j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
}

/** y [B, H+2p, W+2p, C] = reflection pad of x [B, H, W, C]. */
export function reflectPadForward(x: Float32Array, shape: readonly number[], p: number, y: Float32Array): void {
  const [b, h, w, c] = shape as [number, number, number, number];
  const hp = h + 2 * p;
  const wp = w + 2 * p;
  const colSrc = Array.from({ length: wp }, (_, j) => reflectIndex(j, w, p));
  for (let n = 0; n < b; n++) for (let i = 0; i < hp; i++) {
    const srcRow = (n * h + reflectIndex(i, h, p)) * w * c;
    const dstRow = (n * hp + i) * wp * c;
    // The interior of the row is one block copy, the reflected ends element runs.
    y.set(x.subarray(srcRow, srcRow + w * c), dstRow + p * c);
    for (let j = 0; j < p; j++) {
      const left = srcRow + colSrc[j]! * c;
      const right = srcRow + colSrc[wp - 1 - j]! * c;
      const dLeft = dstRow + j * c;
      const dRight = dstRow + (wp - 1 - j) * c;
      for (let e = 0; e < c; e++) {
        y[dLeft + e] = x[left + e]!;
        y[dRight + e] = x[right + e]!;
      }
    }
  }
}

/**
 * Folds padded row `src[srcOff ..]` (W+2p pixels of C channels) into `dst[dstOff ..]` (W pixels): the interior is a
 * block copy, and pixel k in [1, p] / [W-1-p, W-2] becomes (center + right reflection) + left reflection in float32.
 */
function foldRow(src: Float32Array, srcOff: number, w: number, p: number, c: number, dst: Float32Array, dstOff: number): void {
  dst.set(src.subarray(srcOff + p * c, srcOff + (p + w) * c), dstOff);
  for (let k = 0; k < w; k++) {
    const right = k >= w - 1 - p && k <= w - 2 ? srcOff + (2 * (w - 1) - k + p) * c : -1;
    const left = k >= 1 && k <= p ? srcOff + (p - k) * c : -1;
    if (right < 0 && left < 0) {
      if (k > p) k = Math.max(k, w - 2 - p); // skip the plain interior
      continue;
    }
    const d = dstOff + k * c;
    for (let e = 0; e < c; e++) {
      let v = dst[d + e]!;
      if (right >= 0) v = Math.fround(v + src[right + e]!);
      if (left >= 0) v = Math.fround(v + src[left + e]!);
      dst[d + e] = v;
    }
  }
}

/**
 * dx [B, H, W, C] = adjoint of the reflection pad applied to dy [B, H+2p, W+2p, C]. Autodiff of the slices + concat
 * folds the columns of every padded row first, then the rows: dx row k = (fold(center) + fold(bottom reflection)) +
 * fold(top reflection), each addition rounded to float32; done here row by row in that order.
 */
export function reflectPadAdjoint(dy: Float32Array, xShape: readonly number[], p: number, dx: Float32Array): void {
  const [b, h, w, c] = xShape as [number, number, number, number];
  const hp = h + 2 * p;
  const rowIn = (w + 2 * p) * c;
  const rowOut = w * c;
  const tmp = new Float32Array(rowOut);
  const addRow = (srcRow: number, dstOff: number): void => {
    foldRow(dy, srcRow * rowIn, w, p, c, tmp, 0);
    for (let e = 0; e < rowOut; e++) dx[dstOff + e] = Math.fround(dx[dstOff + e]! + tmp[e]!);
  };
  for (let n = 0; n < b; n++) for (let k = 0; k < h; k++) {
    const dstOff = (n * h + k) * rowOut;
    foldRow(dy, (n * hp + k + p) * rowIn, w, p, c, dx, dstOff);
    if (k >= h - 1 - p && k <= h - 2) addRow(n * hp + 2 * (h - 1) - k + p, dstOff);
    if (k >= 1 && k <= p) addRow(n * hp + p - k, dstOff);
  }
}

function padAttr(attrs: tf.NamedAttrMap): number {
  return (attrs as unknown as { pad: number }).pad;
}

function forwardKernel(mem: KernelMemory, { inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const p = padAttr(attrs);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  return mem.output([b, h + 2 * p, w + 2 * p, c], (out) => reflectPadForward(mem.read(x), x.shape, p, out));
}

function gradKernel(mem: KernelMemory, { inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy } = inputs as { dy: tf.TensorInfo };
  const p = padAttr(attrs);
  const [b, hp, wp, c] = dy.shape as [number, number, number, number];
  const xShape = [b, hp - 2 * p, wp - 2 * p, c];
  return mem.output(xShape, (out) => reflectPadAdjoint(mem.read(dy), xShape, p, out));
}

/** Registers the pad and its gradient for 'wasm' or 'cpu' (idempotent). */
export function registerReflectPadKernels(backendName: JsKernelBackend): void {
  registerJsKernel(REFLECT_PAD, backendName, forwardKernel);
  registerJsKernel(REFLECT_PAD_GRAD, backendName, gradKernel);
}

/** The same padding from slices + concat (exact gradients from autodiff), for backends without the kernels. */
export function reflectPadComposite(x: tf.Tensor4D, p: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const rows: tf.Tensor4D[] = [];
    for (let i = p; i >= 1; i--) rows.push(tf.slice(x, [0, i, 0, 0], [-1, 1, -1, -1]));
    rows.push(x);
    for (let i = 1; i <= p; i++) rows.push(tf.slice(x, [0, h - 1 - i, 0, 0], [-1, 1, -1, -1]));
    const xh = tf.concat(rows, 1);
    const cols: tf.Tensor4D[] = [];
    for (let i = p; i >= 1; i--) cols.push(tf.slice(xh, [0, 0, i, 0], [-1, -1, 1, -1]));
    cols.push(xh);
    for (let i = 1; i <= p; i++) cols.push(tf.slice(xh, [0, 0, w - 1 - i, 0], [-1, -1, 1, -1]));
    return tf.concat(cols, 2);
  });
}

/** Reflection pad of H and W by `p` (torch ReflectionPad2d); differentiable. Needs H, W > p. */
export function reflectPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  if (p === 0) return x;
  const [, h, w] = x.shape;
  if (p >= h || p >= w) throw new Error(`reflectPad: pad ${p} needs H,W > ${p}, got ${h}x${w}`);
  if (x.dtype !== 'float32' || !tf.getKernel(REFLECT_PAD, tf.getBackend())) return reflectPadComposite(x, p);
  const attrs = { pad: p } as unknown as tf.NamedAttrMap;
  const padded = tf.customGrad(((xx: tf.Tensor) => ({
    value: tf.engine().runKernel(REFLECT_PAD, { x: xx }, attrs) as tf.Tensor,
    gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(REFLECT_PAD_GRAD, { dy }, attrs) as tf.Tensor,
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return padded(x) as tf.Tensor4D;
}
